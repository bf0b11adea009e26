using System;
using System.ComponentModel;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// Builds async methods that return <see cref="LocalTask{T}"/>: the compiler's state machine is boxed into a raw
/// task on a pinned executor, <c>MoveNext</c> is its poll and every await registers its waker. The box is the only
/// allocation of a call; awaits of <c>Task.Yield()</c> and of our own awaitables allocate nothing.
/// </summary>
/// <remarks>
/// The executor is chosen when the method is called: the executor of the calling thread if it is one, else the
/// ambient one (<see cref="LocalExecutor.EnterScope"/>), else <see cref="LocalExecutor.Default"/>. On its own executor
/// thread the body starts inline; from any other thread it starts on the executor.
/// </remarks>
/// <typeparam name="T">The result type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct LocalTaskMethodBuilder<T>
{
    private LocalTask<T>? _task;

    /// <summary>Creates a builder (compiler use).</summary>
    [SuppressMessage("Design", "CA1000:Do not declare static members on generic types", Justification = "The builder pattern requires a static Create.")]
    public static LocalTaskMethodBuilder<T> Create() => default;

    /// <summary>The task of the method (compiler use).</summary>
    public readonly LocalTask<T> Task => _task!;

    /// <summary>Boxes the state machine into a raw task and starts it on its executor (compiler use).</summary>
    public void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
    {
        var box = new StateMachineTask<TStateMachine, T>(LocalExecutor.ResolveTargetQueue());
        _task = box; // before the copy: the boxed state machine carries this builder
        box.StateMachine = stateMachine;
        box.BodyContext = ExecutionContext.Capture();
        box.Start();
    }

    /// <summary>Not used (compiler use).</summary>
    [SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "The builder pattern requires an instance method.")]
    public readonly void SetStateMachine(IAsyncStateMachine stateMachine)
    {
    }

    /// <summary>Completes the task with its result (compiler use).</summary>
    public readonly void SetResult(T result) => _task!.SetResultCore(result);

    /// <summary>Completes the task with the method's exception (compiler use).</summary>
    public readonly void SetException(Exception exception) => _task!.SetExceptionCore(exception);

    /// <summary>Registers the task's waker with the awaiter (compiler use).</summary>
    public readonly void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine
        => Remember<TStateMachine>(AwaitRegistration.Register(ref awaiter, _task!));

    /// <summary>Registers the task's waker with the awaiter (compiler use).</summary>
    public readonly void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine
        => Remember<TStateMachine>(AwaitRegistration.RegisterUnsafe(ref awaiter, _task!));

    /// <summary>Keeps the local task the box now waits on, so a cancel can withdraw the registration. The box was made
    /// by <see cref="Start{TStateMachine}(ref TStateMachine)"/> for this state machine type.</summary>
    private readonly void Remember<TStateMachine>(LocalTask? awaited)
        where TStateMachine : IAsyncStateMachine
    {
        if (awaited is not null)
        {
            Debug.Assert(_task is StateMachineTask<TStateMachine, T>, "the box is the one Start made");
            Unsafe.As<StateMachineTask<TStateMachine, T>>(_task).Awaiting = awaited;
        }
    }
}

/// <summary>Builds async methods that return <see cref="LocalTask"/>; see <see cref="LocalTaskMethodBuilder{T}"/>.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct LocalTaskMethodBuilder
{
    private LocalTaskMethodBuilder<VoidResult> _inner;

    /// <summary>Creates a builder (compiler use).</summary>
    public static LocalTaskMethodBuilder Create() => default;

    /// <summary>The task of the method (compiler use).</summary>
    public readonly LocalTask Task => _inner.Task;

    /// <summary>Boxes the state machine into a raw task and starts it on its executor (compiler use).</summary>
    public void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
        => _inner.Start(ref stateMachine);

    /// <summary>Not used (compiler use).</summary>
    [SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "The builder pattern requires an instance method.")]
    public readonly void SetStateMachine(IAsyncStateMachine stateMachine)
    {
    }

    /// <summary>Completes the task (compiler use).</summary>
    public readonly void SetResult() => _inner.SetResult(default);

    /// <summary>Completes the task with the method's exception (compiler use).</summary>
    public readonly void SetException(Exception exception) => _inner.SetException(exception);

    /// <summary>Registers the task's waker with the awaiter (compiler use).</summary>
    public readonly void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine
        => _inner.AwaitOnCompleted(ref awaiter, ref stateMachine);

    /// <summary>Registers the task's waker with the awaiter (compiler use).</summary>
    public readonly void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine
        => _inner.AwaitUnsafeOnCompleted(ref awaiter, ref stateMachine);
}
