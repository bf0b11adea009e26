using System;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

namespace ThreadPerCore;

/// <summary>
/// Names a piece of work for reports and logs (the cancelled tasks of a <see cref="ShutdownReport"/>, the subject of a
/// <see cref="LateWorkEventArgs"/>) as plain strings and types; <see cref="WorkDescription"/> does it for stall reports
/// and debugger views. The user's async method for an await continuation or a task, the method of a delegate. Cold
/// paths only: it uses reflection.
/// </summary>
internal static class WorkNames
{
    /// <summary>The type a user recognises <paramref name="work"/> by: the compiler's state machine of the async method
    /// behind it where there is one, else the delegate's declaring type, else the work's own type.</summary>
    public static Type TypeOf(object work) => work switch
    {
        Type type => type,
        LocalTask task => task.DiagnosticBody is { } body && body != task ? TypeOf(body) : task.GetType(),
        Delegate callback when callback.Target is { } target && StateMachineOf(target.GetType()) is { } machine => machine,
        Delegate callback when callback.Target is WakeRelay { Task: { } task } => TypeOf(task),
        Delegate callback => callback.Method.DeclaringType ?? callback.GetType(),
        _ => StateMachineOf(work.GetType()) ?? work.GetType(),
    };

    /// <summary>A readable name of <paramref name="work"/>: <c>Namespace.Type.Method</c> for an async method (from its
    /// state machine) or a delegate, else the type's name.</summary>
    public static string Describe(object work) => work switch
    {
        LocalTask task => task.DiagnosticBody is { } body && body != task ? Describe(body) : Name(task.GetType()),
        Delegate callback when callback.Target is { } target && StateMachineOf(target.GetType()) is { } machine => Name(machine),
        Delegate callback when callback.Target is WakeRelay { Task: { } task } => Describe(task),
        Delegate callback => Name(callback),
        Type type => Name(type),
        _ => Name(StateMachineOf(work.GetType()) ?? work.GetType()),
    };

    /// <summary>The state machine inside one of the runtime's boxes (<c>AsyncStateMachineBox&lt;TResult, TStateMachine&gt;</c>,
    /// the <see cref="Task"/> of a running async method), or null.</summary>
    private static Type? StateMachineOf(Type type)
    {
        if (typeof(IAsyncStateMachine).IsAssignableFrom(type))
        {
            return type;
        }

        if (type.IsGenericType && type.Name.StartsWith("AsyncStateMachineBox", StringComparison.Ordinal))
        {
            Type[] arguments = type.GetGenericArguments();
            return arguments[^1];
        }

        return null;
    }

    private static string Name(Type type)
    {
        // Compiler-generated types (closures "<>c", "<>c__DisplayClass0_0") are named after the type that holds them.
        while (type.Name.StartsWith('<') && type.DeclaringType is { } holder && !typeof(IAsyncStateMachine).IsAssignableFrom(type))
        {
            type = holder;
        }

        if (!typeof(IAsyncStateMachine).IsAssignableFrom(type))
        {
            return (type.FullName ?? type.Name).Replace('+', '.');
        }

        // The compiler names a state machine "<Method>d__N" inside the method's type: report "Type.Method".
        Type? owner = type.DeclaringType;
        string method = Method(type.Name);
        return owner is null ? method : $"{Name(owner)}.{method}";
    }

    private static string Name(Delegate callback) =>
        $"{Name(callback.Method.DeclaringType ?? callback.GetType())}.{Method(callback.Method.Name)}";

    /// <summary>A compiler-generated name made readable: "&lt;Main&gt;d__3" is "Main", "&lt;&lt;Main&gt;b__0&gt;d" and
    /// "&lt;Main&gt;b__0_1" are "Main (lambda)", "&lt;Main&gt;g__Local|0_0" is "Main.Local".</summary>
    private static string Method(string name)
    {
        if (!name.StartsWith('<'))
        {
            return name;
        }

        int depth = 0;
        int close = -1;
        for (int i = 0; i < name.Length && close < 0; i++)
        {
            depth += name[i] == '<' ? 1 : name[i] == '>' ? -1 : 0;
            close = depth == 0 && name[i] == '>' ? i : -1;
        }

        if (close < 1)
        {
            return name;
        }

        string inner = Method(name[1..close]);
        string rest = name[(close + 1)..];
        if (rest.StartsWith("b__", StringComparison.Ordinal))
        {
            return inner.EndsWith(" (lambda)", StringComparison.Ordinal) ? inner : $"{inner} (lambda)";
        }

        if (rest.StartsWith("g__", StringComparison.Ordinal))
        {
            int bar = rest.IndexOf('|', StringComparison.Ordinal);
            return $"{inner}.{(bar > 3 ? rest[3..bar] : rest[3..])}";
        }

        return inner;
    }
}
