namespace Appliance.Policy.Masking;

/// <summary>One RowDescription field as a plan needs it (the type modifier, size and format don't change the plan).</summary>
internal readonly record struct ResultField(string Name, uint TableOid, short AttributeNumber, uint TypeOid);
