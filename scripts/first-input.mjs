// Prints the brotli size of the form's pre-rendered HTML for every locale of
// icp.toml, as the Worker in edge/build serves it (GET /v1/forms/{id}/html):
// the part of the first-input path (loader + HTML + CSS) that only the
// running Worker can tell. Used by scripts/size-budget.sh; one line per
// locale: "<locale> <raw> <brotli>".
import { brotliCompressSync, constants } from "node:zlib";
import { startWorker } from "../tests/support/worker.mjs";

const w = await startWorker();
try {
  const forms = (await (await fetch(`${w.url}/v1/health`)).json()).forms;
  for (const { id } of forms) {
    const pb = await (await fetch(`${w.url}/v1/forms/${id}`)).json();
    const locales = [pb.default_locale, ...Object.keys(pb.text ?? {})].filter((l, i, a) => l && a.indexOf(l) === i);
    for (const l of locales) {
      const html = Buffer.from(await (await fetch(`${w.url}/v1/forms/${id}/html?locale=${l}`)).arrayBuffer());
      const br = brotliCompressSync(html, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
      console.log(`${id}.${l} ${html.length} ${br}`);
    }
  }
} finally {
  await w.stop();
}
