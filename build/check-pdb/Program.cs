using System;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;

// check-pdb <assembly.dll> <assembly.pdb> <forbidden path prefix>
// Fails (exit 1) unless every source document in the PDB has a deterministic path (/_/...), none names the forbidden
// prefix (the machine's checkout), the PDB carries a SourceLink map to an https address, and the assembly's debug
// directory names its PDB without the machine's path.
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: check-pdb <assembly.dll> <assembly.pdb> <forbidden path prefix>");
    return 2;
}

string dll = args[0], pdb = args[1], forbidden = args[2];
var problems = new System.Collections.Generic.List<string>();
Guid sourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

using (var pdbStream = File.OpenRead(pdb))
using (var provider = MetadataReaderProvider.FromPortablePdbStream(pdbStream))
{
    MetadataReader reader = provider.GetMetadataReader();
    string[] documents = reader.Documents.Select(h => reader.GetString(reader.GetDocument(h).Name)).ToArray();
    Console.WriteLine($"{Path.GetFileName(pdb)}: {documents.Length} source documents, e.g. {documents.FirstOrDefault()}");
    problems.AddRange(documents.Where(d => d.Contains(forbidden, StringComparison.Ordinal)).Select(d => $"document with a machine path: {d}"));
    problems.AddRange(documents.Where(d => !d.StartsWith("/_/", StringComparison.Ordinal)).Select(d => $"document without a deterministic path: {d}"));

    string? sourceLink = reader.CustomDebugInformation
        .Select(reader.GetCustomDebugInformation)
        .Where(info => reader.GetGuid(info.Kind) == sourceLinkKind)
        .Select(info => Encoding.UTF8.GetString(reader.GetBlobBytes(info.Value)))
        .FirstOrDefault();
    if (sourceLink is null)
    {
        problems.Add("no SourceLink map in the PDB");
    }
    else
    {
        Console.WriteLine($"SourceLink: {sourceLink}");
        if (!sourceLink.Contains("\"/_/*\"", StringComparison.Ordinal) || !sourceLink.Contains("https://", StringComparison.Ordinal))
        {
            problems.Add($"the SourceLink map does not send /_/* to an https address: {sourceLink}");
        }
    }
}

using (var peStream = File.OpenRead(dll))
using (var pe = new PEReader(peStream))
{
    foreach (DebugDirectoryEntry entry in pe.ReadDebugDirectory().Where(e => e.Type == DebugDirectoryEntryType.CodeView))
    {
        string path = pe.ReadCodeViewDebugDirectoryData(entry).Path;
        Console.WriteLine($"{Path.GetFileName(dll)} debug directory: {path}");
        if (path.Contains(forbidden, StringComparison.Ordinal))
        {
            problems.Add($"the assembly names its PDB with a machine path: {path}");
        }
    }
}

foreach (string problem in problems)
{
    Console.Error.WriteLine($"FAIL {Path.GetFileName(pdb)}: {problem}");
}

return problems.Count == 0 ? 0 : 1;
