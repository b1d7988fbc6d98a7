namespace Appliance.Chatops.Commands;

/// <summary>A parsed <c>/hoop</c> command (docs/architecture.md: chat commands).</summary>
internal abstract record HoopCommand;

internal sealed record HelpCommand : HoopCommand;

internal sealed record RequestCommand(string Connection, string? Duration, string? Reason) : HoopCommand;

internal sealed record ListCommand : HoopCommand;

internal sealed record StatusCommand : HoopCommand;

/// <summary><c>approve</c> (with an optional comment) or <c>deny</c> (with an optional reason).</summary>
internal sealed record DecideCommand(bool Approve, string Id, string? Text) : HoopCommand;

/// <summary>End my grant (or withdraw my pending request); without an id, my only one.</summary>
internal sealed record DoneCommand(string? Id) : HoopCommand;

/// <summary>An approver or admin ends someone's active grant (its sessions are cut), with an optional reason.</summary>
internal sealed record RevokeCommand(string Id, string? Reason) : HoopCommand;

internal sealed record ExtendCommand(string Id, string Duration, string? Reason) : HoopCommand;

/// <summary>Text that is not a valid command: what is wrong and how to write it.</summary>
internal sealed record InvalidCommand(string Problem, string Usage) : HoopCommand;
