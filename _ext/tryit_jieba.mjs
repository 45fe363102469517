// jieba-wasm in a worker for the 试一试 page (_ext/tryit.mjs): its dictionary is built here while
// onnxruntime creates the model sessions on the page's thread. Message in: {id, chunks} (the CJK runs
// of one review); out: {id, words} (jieba's words of each run, HMM on, as book.text._cut).
import init, { cut } from "./jieba_rs_wasm.js";

const ready = init({ module_or_path: new URL("./jieba_rs_wasm_bg.wasm", import.meta.url) }).then(() => cut("预热", true));

onmessage = async ({ data: { id, chunks } }) => {
  try {
    await ready;
    postMessage({ id, words: chunks.map((c) => cut(c, true)) });
  } catch (e) {
    postMessage({ id, error: String(e && e.message || e) });
  }
};
