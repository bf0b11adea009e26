using System;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Tasks;

namespace ThreadPerCore;

/// <summary>
/// Names a piece of work for people: the async method behind a state machine, the method behind a delegate, the
/// callback of a timer. Used by stall reports and the debugger views; never on the hot path.
/// </summary>
internal readonly record struct WorkDescription(Type? Type, string Text)
{
    /// <summary>Describes a queued or running <see cref="WorkItem"/>'s target and state.</summary>
    public static WorkDescription Of(WorkKind kind, object work, object? state)
    {
        switch (kind)
        {
            case WorkKind.Poll:
            case WorkKind.Wake:
            case WorkKind.Cancel:
                return work is LocalTask task ? OfLocalTask(task) : OfObject(work);
            case WorkKind.SchedulerTask:
                return work is Task scheduled ? OfTask(scheduled) : OfObject(work);
            case WorkKind.PostCallback:
            case WorkKind.StateAction:
                // The runtime's await continuations post a static trampoline whose state is the continuation itself;
                // our timers queue a static invoker whose state is the timer.
                if (state is LocalTimer timer)
                {
                    WorkDescription callback = OfObject(timer.Callback);
                    return callback with { Text = $"timer callback {callback.Text}" };
                }

                if (state is Delegate continuation && work is Delegate trampoline && IsFrameworkMethod(trampoline))
                {
                    return OfObject(continuation);
                }

                return OfObject(work);
            default:
                return OfObject(work);
        }
    }

    /// <summary>Describes a raw task by its body: the async method, the spawned delegate, or the task's own kind.</summary>
    public static WorkDescription OfLocalTask(LocalTask task) => task.DiagnosticBody switch
    {
        Type stateMachine => OfStateMachine(stateMachine),
        null => new WorkDescription(task.GetType(), FormatType(task.GetType())),
        object body => OfObject(body),
    };

    /// <summary>Describes anything the loop may run, or a body a task holds.</summary>
    public static WorkDescription OfObject(object work)
    {
        switch (work)
        {
            case LocalTask task:
                return OfLocalTask(task);
            case Task task:
                return OfTask(task);
            case Delegate d:
                return OfDelegate(d);
            case Type type when typeof(IAsyncStateMachine).IsAssignableFrom(type):
                return OfStateMachine(type);
            default:
                return new WorkDescription(work.GetType(), FormatType(work.GetType()));
        }
    }

    private static WorkDescription OfTask(Task task)
    {
        if (StateMachineOfBox(task.GetType()) is Type stateMachine)
        {
            return OfStateMachine(stateMachine); // an async method's own task (the runtime's state machine box)
        }

        if (task.AsyncState is Delegate continuation)
        {
            WorkDescription inner = OfDelegate(continuation); // an await continuation queued to the scheduler
            return inner with { Text = $"task {task.Id}: {inner.Text}" };
        }

        return new WorkDescription(task.GetType(), $"task {task.Id} ({FormatType(task.GetType())})");
    }

    private static WorkDescription OfDelegate(Delegate d)
    {
        // An await continuation is the MoveNext of the runtime's box (or ours): name the async method.
        if (d.Target is { } target)
        {
            if (target is LocalTask task)
            {
                return OfLocalTask(task);
            }

            if (StateMachineOfBox(target.GetType()) is Type stateMachine)
            {
                return OfStateMachine(stateMachine);
            }
        }

        MethodInfo method = d.Method;
        Type? declaring = method.DeclaringType;
        string name = method.Name;
        int close = name.IndexOf('>', StringComparison.Ordinal);
        if (name.StartsWith('<') && close > 1)
        {
            // A lambda: <Main>b__0_0 declared in Program+<>c (or a display class) is a lambda in Program.Main.
            Type? outer = declaring;
            while (outer is not null && outer.Name.StartsWith('<'))
            {
                outer = outer.DeclaringType;
            }

            string where = outer is null ? name[1..close] : $"{FormatType(outer)}.{name[1..close]}";
            return new WorkDescription(declaring, $"lambda in {where}");
        }

        return new WorkDescription(declaring, declaring is null ? name : $"{FormatType(declaring)}.{name}");
    }

    private static WorkDescription OfStateMachine(Type stateMachine)
    {
        // The compiler names the state machine of M <M>d__N, nested in M's type.
        string name = stateMachine.Name;
        int close = name.IndexOf('>', StringComparison.Ordinal);
        string method = name.StartsWith('<') && close > 1 ? name[1..close] : name;
        Type? declaring = stateMachine.DeclaringType;
        return new WorkDescription(stateMachine, declaring is null ? $"async method {method}" : $"async method {FormatType(declaring)}.{method}");
    }

    /// <summary>The state machine type a runtime box (<c>AsyncTaskMethodBuilder&lt;T&gt;.AsyncStateMachineBox&lt;TStateMachine&gt;</c>
    /// and its kin) is generic over, or null.</summary>
    private static Type? StateMachineOfBox(Type type)
    {
        if (!type.IsGenericType || type.Assembly != typeof(Task).Assembly)
        {
            return null;
        }

        foreach (Type argument in type.GetGenericArguments())
        {
            if (typeof(IAsyncStateMachine).IsAssignableFrom(argument))
            {
                return argument;
            }
        }

        return null;
    }

    private static bool IsFrameworkMethod(Delegate d) => d.Method.DeclaringType?.Assembly == typeof(Task).Assembly;

    /// <summary>C#-like type names: <c>Namespace.Outer.Inner&lt;int&gt;</c> instead of <c>Namespace.Outer+Inner`1[[...]]</c>.</summary>
    public static string FormatType(Type type)
    {
        var text = new StringBuilder();
        Append(text, type, qualify: true);
        return text.ToString();
    }

    private static void Append(StringBuilder text, Type type, bool qualify)
    {
        if (type.IsNested && type.DeclaringType is { } outer && !type.IsGenericParameter)
        {
            Append(text, outer, qualify);
            text.Append('.');
        }
        else if (qualify && !string.IsNullOrEmpty(type.Namespace))
        {
            text.Append(type.Namespace).Append('.');
        }

        string name = type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        text.Append(tick < 0 ? name : name[..tick]);
        if (type.IsGenericType && tick >= 0)
        {
            Type[] arguments = type.GetGenericArguments();
            int own = int.Parse(name.AsSpan(tick + 1), System.Globalization.CultureInfo.InvariantCulture);
            text.Append('<');
            for (int i = arguments.Length - own; i < arguments.Length; i++)
            {
                if (i > arguments.Length - own)
                {
                    text.Append(", ");
                }

                Append(text, arguments[i], qualify: false);
            }

            text.Append('>');
        }
    }
}
