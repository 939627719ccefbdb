// Parses Mermaid diagrams with Mermaid's own parser, as a Markdown viewer would before drawing them.
//
//   node mermaid_parse.js PARSER_BUNDLE < diagrams.json > results.json
//
// PARSER_BUNDLE is a CommonJS build of Mermaid's parser that runs without a browser (the one
// the mermaid-parser-py package ships: Mermaid 11's `mermaid.parse` and diagram database). The
// input is a JSON list of diagram sources; the output lists, for each, either
// {"type": ..., "messages": [{"from", "to", "type", "text"}], "notes": N} or {"error": "..."}.
const parse = require(process.argv[2]);

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const diagrams = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const results = [];
  for (const text of diagrams) {
    try {
      const parsed = JSON.parse(await parse(text));
      const records = parsed.graph_data.state.records;
      results.push({
        type: parsed.graph_type,
        messages: records.messages.map((m) => ({ from: m.from, to: m.to, type: m.type, text: m.message })),
        notes: records.notes.length,
      });
    } catch (error) {
      results.push({ error: String(error) });
    }
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((error) => {
  process.stderr.write(String(error) + "\n");
  process.exit(1);
});
