// The 试一试 page (chapters/07_tryit.md): the book's three saved models answer a review in the
// browser, offline. _ext/tryit.py copies this file, the libraries and the models into
// _static/tryit/; everything is loaded relative to this module's URL (no CDN, no bundler).
//
// The preprocessing reproduces the Python side exactly:
//   book.text.cjk_only / tokenize  runs of non-CJK characters split the text; each CJK run is cut by
//                                  jieba (HMM on; jieba-wasm in a worker, tryit_jieba.mjs)
//   book.predict.TfidfLinear       sklearn's char_wb and word analyzers, sublinear tf × idf, l2 norm,
//                                  the linear SVM's weights, Platt's sigmoid (float64 throughout)
//   book.predict.LstmOnnxPredictor jieba words → ids (unknown → 1), the first max_len, none → [1]
//   book.predict.BertOnnxPredictor the saved tokenizer.json; longer than max_len tokens: the first
//                                  max_len - 1 kept and the final </s> put back (as tokenizers truncates)
// window.tryit exposes the pipeline (ready, analyze, batch) for the browser check (tests/test_tryit.py).

const BASE = new URL("./", import.meta.url);
const UNK = 1;                                   // book.lstm.UNK
// what counts as a Chinese character: book.names.CJK_RANGES, read from this build's manifest.json
let NON_CJK = null;
const TOP = 5;                                   // TF-IDF features shown per side
const $ = (id) => document.getElementById(id);

const MSG = {
  loading: "正在载入模型和分词器……",
  ready: "模型已载入，全部在这个浏览器里运行，不连接任何服务器。",
  empty: "请先输入一条评论：现在的输入是空的（或只有空白），没有运行任何模型。",
  noLibs: "本页构建时缺少浏览器端的程序库（先运行 npm ci --ignore-scripts，再重新构建本书），所以这里不能试用模型；书的其余部分不受影响。",
  noModels: "本页构建时没有任何模型文件（先运行 make book 训练并导出模型，再重新构建），所以这里不能试用模型；书的其余部分不受影响。",
  missing: "本次构建没有这个模型的文件（先运行 make book），其余模型照常作答。",
  failed: "载入失败：",
};

// ------------------------------------------------------------------ book.text

export function cjkOnly(text) {
  return text.replace(NON_CJK, " ").trim();
}

let jieba = null;          // the worker (tryit_jieba.mjs)
const pending = new Map();
let nextId = 0;

function cutChunks(chunks) {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    jieba.postMessage({ id, chunks });
  });
}

export async function tokenize(text) {
  const chunks = cjkOnly(text).split(" ").filter(Boolean);
  return chunks.length ? (await cutChunks(chunks)).flat() : [];
}

// ------------------------------------------------------------------ TF-IDF (book.predict.TfidfLinear)

const chars = (s) => Array.from(s);              // code points, as Python indexes a str

function charWbNgrams(doc, lo, hi) {
  const out = [];
  for (const word of doc.split(/\s+/u).filter(Boolean)) {
    const w = chars(` ${word} `);
    for (let n = lo; n <= hi; n++) {
      let offset = 0;
      out.push(w.slice(0, n).join(""));
      while (offset + n < w.length) {
        offset += 1;
        out.push(w.slice(offset, offset + n).join(""));
      }
      if (offset === 0) break;                   // a word shorter than n: counted once
    }
  }
  return out;
}

function wordNgrams(tokens, lo, hi) {
  const out = lo === 1 ? [...tokens] : [];
  for (let n = Math.max(lo, 2); n <= Math.min(hi, tokens.length); n++) {
    for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(" "));
  }
  return out;
}

function tokenPattern(pattern) {
  // the patterns book.baselines uses (and sklearn's default) on space-joined CJK words
  if (pattern === "\\S+") return (doc) => doc.split(/\s+/u).filter(Boolean);
  if (pattern === "(?u)\\b\\w\\w+\\b") return (doc) => doc.split(/\s+/u).filter((w) => chars(w).length >= 2);
  throw new Error(`token_pattern ${pattern} 无法在浏览器里复现`);
}

class Tfidf {
  constructor(spec) {
    this.intercept = spec.intercept;
    [this.a, this.b] = spec.sigmoid;
    this.blocks = spec.blocks.map((b) => ({
      ...b, index: new Map(b.vocabulary.map((t, i) => [t, i])),
      tokens: b.analyzer === "word" ? tokenPattern(b.token_pattern) : null,
    }));
  }

  terms(block, review, words) {
    const [lo, hi] = block.ngram_range;
    if (block.analyzer === "char_wb") return charWbNgrams(cjkOnly(review), lo, hi);
    let doc = words.join(" ");
    if (block.lowercase) doc = doc.toLowerCase();
    return wordNgrams(block.tokens(doc), lo, hi);
  }

  // {prob, decision, features: [{term, analyzer, contribution}]} (contribution = weight × tf-idf)
  analyze(review, words) {
    let f = this.intercept;
    const features = [];
    for (const block of this.blocks) {
      const counts = new Map();
      for (const t of this.terms(block, review, words)) {
        const i = block.index.get(t);
        if (i !== undefined) counts.set(i, (counts.get(i) || 0) + 1);
      }
      if (!counts.size) continue;
      const idx = [...counts.keys()];
      const x = idx.map((i) => (block.sublinear_tf ? 1 + Math.log(counts.get(i)) : counts.get(i)) * block.idf[i]);
      if (block.norm === "l2") {
        const norm = Math.sqrt(x.reduce((s, v) => s + v * v, 0));
        for (let k = 0; k < x.length; k++) x[k] /= norm;
      }
      idx.forEach((i, k) => {
        const c = x[k] * block.coef[i];
        f += c;
        features.push({ term: block.vocabulary[i], analyzer: block.analyzer, contribution: c });
      });
    }
    return { prob: 1 / (1 + Math.exp(this.a * f + this.b)), decision: f, features };
  }
}

// ------------------------------------------------------------------ the ONNX models

let ort = null;

function session(rt, bytes) {
  return rt.InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
}

const int64 = (xs) => BigInt64Array.from(xs, (v) => BigInt(v));

class Lstm {
  constructor(sess, vocab, config) {
    this.session = sess;
    this.stoi = new Map(vocab.map((w, i) => [w, i]));
    this.maxLen = config.config.max_len;
  }

  async analyze(words) {
    const read = words.slice(0, this.maxLen).map((w) => this.stoi.get(w) ?? UNK);
    const ids = read.length ? read : [UNK];
    const out = await this.session.run({
      ids: new ort.Tensor("int64", int64(ids), [1, ids.length]),
      lengths: new ort.Tensor("int64", int64([ids.length]), [1]),
    });
    const logit = out.logit.data[0];
    return {
      prob: 1 / (1 + Math.exp(-logit)), ids,
      words: words.map((w, i) => ({ word: w, known: this.stoi.has(w), read: i < this.maxLen })),
      truncated: words.length > this.maxLen, noWords: words.length === 0,
      noKnown: words.length > 0 && !words.slice(0, this.maxLen).some((w) => this.stoi.has(w)),
    };
  }
}

class Bert {
  constructor(sess, tokenizer, meta) {
    this.session = sess;
    this.tokenizer = tokenizer;
    this.maxLen = meta.max_len;
    this.tail = tokenizer.encode("").ids.length >= 2 ? 1 : 0;   // the special token after the text (</s>)
  }

  encode(text) {
    const enc = this.tokenizer.encode(text);
    let { ids, tokens } = enc;
    const truncated = ids.length > this.maxLen;
    if (truncated) {
      const keep = this.maxLen - this.tail;
      ids = ids.slice(0, keep).concat(ids.slice(ids.length - this.tail));
      tokens = tokens.slice(0, keep).concat(tokens.slice(tokens.length - this.tail));
    }
    return { ids, tokens, truncated, total: enc.ids.length };
  }

  async analyze(text) {
    const e = this.encode(text);
    const out = await this.session.run({ input_ids: new ort.Tensor("int64", int64(e.ids), [1, e.ids.length]) });
    const [l0, l1] = out.logits.data;
    return { prob: 1 / (1 + Math.exp(l0 - l1)), ...e };
  }
}

// ------------------------------------------------------------------ loading

async function fetchBytes(file) {
  const r = await fetch(new URL(file, BASE));
  if (!r.ok) throw new Error(`${file}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function fetchJson(file) {
  const r = await fetch(new URL(file, BASE));
  if (!r.ok) throw new Error(`${file}: HTTP ${r.status}`);
  return r.json();
}

const models = {};          // key → model object
const names = {};           // key → display name
const problems = {};        // key → why it is not there
let manifest = null;

const timings = {};        // phase → ms since navigation (the browser check prints them)
const mark = (what) => { timings[what] = Math.round(performance.now()); };

async function loadModel(key, ready) {
  // every download starts at once; a session is built when onnxruntime is there (ready)
  if (key === "tfidf") return new Tfidf(await fetchJson("tfidf.json"));
  if (key === "lstm") {
    const [bytes, vocab, config, rt] = await Promise.all([fetchBytes("lstm/model.onnx"), fetchJson("lstm/vocab.json"),
                                                          fetchJson("lstm/config.json"), ready]);
    return new Lstm(await session(rt, bytes), vocab, config);
  }
  const [bytes, tj, tc, meta, { Tokenizer }, rt] = await Promise.all([
    fetchBytes("bert/model.int8.onnx"), fetchJson("bert/tokenizer.json"), fetchJson("bert/tokenizer_config.json"),
    fetchJson("bert/book_bert.json"), import(new URL("tokenizers.min.mjs", BASE)), ready]);
  return new Bert(await session(rt, bytes), new Tokenizer(tj, tc), meta);
}

async function runtime() {
  const rt = await import(new URL("ort.wasm.bundle.min.mjs", BASE));
  rt.env.wasm.numThreads = 1;              // no cross-origin isolation needed
  rt.env.logLevel = "error";
  ort = rt;
  mark("onnxruntime");
  return rt;
}

async function segmenter() {
  jieba = new Worker(new URL("tryit_jieba.mjs", BASE), { type: "module" });
  jieba.onmessage = ({ data }) => {
    const p = pending.get(data.id);
    pending.delete(data.id);
    if (data.error) p.reject(new Error(data.error)); else p.resolve(data.words);
  };
  const failed = new Promise((_, reject) => { jieba.onerror = (e) => reject(new Error(`jieba: ${e.message || "worker failed"}`)); });
  await Promise.race([cutChunks(["预热"]), failed]);   // its dictionary is built now, not at the first review
  mark("jieba");
}

async function load() {
  manifest = await fetchJson("manifest.json");
  NON_CJK = new RegExp(`[^${manifest.cjk_ranges}]+`, "gu");
  if (manifest.libraries_missing.length) throw Object.assign(new Error(MSG.noLibs), { sentence: true });
  const keys = Object.keys(manifest.models);
  for (const [k, m] of Object.entries(manifest.missing_models)) { names[k] = m.name; problems[k] = MSG.missing; }
  if (!keys.length) throw Object.assign(new Error(MSG.noModels), { sentence: true });
  const ready = runtime();
  await Promise.all([segmenter(), ready, ...keys.map(async (k) => {
    names[k] = manifest.models[k].name;
    try {
      models[k] = await loadModel(k, ready);
      mark(k);
    } catch (e) {
      problems[k] = MSG.failed + e.message;
    }
  })]);
  mark("ready");
}

// ------------------------------------------------------------------ the pipeline

export async function analyze(text) {
  const words = await tokenize(text);
  const out = { words };
  if (models.tfidf) out.tfidf = models.tfidf.analyze(text, words);
  if (models.lstm) out.lstm = await models.lstm.analyze(words);
  if (models.bert) out.bert = await models.bert.analyze(text);
  return out;
}

// what the browser check compares with book.predict: per review P(正面) of each model, words, ids
export async function batch(texts) {
  const rows = [];
  for (const t of texts) {
    const r = await analyze(t);
    rows.push({ words: r.words, tfidf: r.tfidf?.prob, lstm: r.lstm?.prob, bert: r.bert?.prob,
                bert_ids: r.bert?.ids, bert_truncated: r.bert?.truncated });
  }
  return rows;
}

// ------------------------------------------------------------------ the page

const fmt = (p) => p.toFixed(3);
const signed = (x) => (x >= 0 ? "+" : "\u2212") + Math.abs(x).toFixed(3);   // a real minus sign, as the book prints one
const esc = (s) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const chip = (text, cls = "", title = "") => `<span class="tryit-chip ${cls}"${title ? ` title="${esc(title)}"` : ""}>${esc(text)}</span>`;
const ROW_KEYS = ["tfidf", "lstm", "bert"];

function showTerm(f) {
  return f.analyzer === "char_wb" ? f.term.replace(/ /g, "_") : f.term;
}

function sawTfidf(r) {
  if (!r.features.length) return `<div class="tryit-note">评论里没有一个词或字串在它的特征表里，P(正面) 只由截距决定。</div>`;
  const side = (sign, label) => {
    const fs = r.features.filter((f) => sign * f.contribution > 0).sort((a, b) => sign * (b.contribution - a.contribution)).slice(0, TOP);
    return `<div class="tryit-saw"><span class="tryit-label">${label}</span>` +
      (fs.length ? fs.map((f) => chip(`${showTerm(f)} ${signed(f.contribution)}`,
                                      `${sign > 0 ? "pos" : "neg"} ${f.analyzer === "char_wb" ? "char" : "word"}`)).join("")
                 : `<span class="tryit-none">（没有）</span>`) + "</div>";
  };
  const kinds = new Set(r.features.map((f) => f.analyzer));
  const legend = [kinds.has("char_wb") ? "字串（字 n-gram）里的 _ 表示一个中文片段的开头或结尾" : "",
                  kinds.size > 1 ? "虚线框是字串，实线框是词" : ""].filter(Boolean).join("；");
  return side(1, "推向正面的特征（权重 × tf-idf）：") + side(-1, "推向负面的特征：") +
    (legend ? `<div class="tryit-legend">${legend}。</div>` : "");
}

function sawLstm(r) {
  const notes = [];
  if (r.noWords) notes.push("没有读到一个认识的词：评论里没有中文词，它只读到一个“未知词”，这个概率不反映内容。");
  else if (r.noKnown) notes.push("没有读到一个认识的词：这些词都不在它的词表里，这个概率不反映内容。");
  if (r.truncated) notes.push(`评论超过 ${models.lstm.maxLen} 个词，只读了前 ${models.lstm.maxLen} 个（截断）。`);
  const chips = r.words.map((w) => chip(w.word, (w.known ? "" : "oov") + (w.read ? "" : " unread"),
                                        w.known ? "" : "不在 LSTM 的词表里，按未知词读")).join("");
  return notes.map((n) => `<div class="tryit-note">${n}</div>`).join("") +
    (r.words.length ? `<div class="tryit-saw"><span class="tryit-label">jieba 分出的词（灰色删除线：不在词表里）：</span>${chips}</div>` : "");
}

function sawBert(r) {
  const notes = r.truncated ? [`评论有 ${r.total} 个 token，超过了它的上限 ${models.bert.maxLen}，只看了开头部分（截断，结尾的 &lt;/s&gt; 保留）。`] : [];
  return notes.map((n) => `<div class="tryit-note">${n}</div>`).join("") +
    `<div class="tryit-saw"><span class="tryit-label">分词器切出的片段（${r.ids.length} 个 token）：</span>${r.tokens.map((t) => chip(t)).join("")}</div>`;
}

function rowHtml(key, r) {
  const name = `<div class="tryit-name">${esc(names[key] || key)}</div>`;
  if (!r) return `<div class="tryit-row" data-model="${key}" data-missing="1">${name}<div class="tryit-note">${esc(problems[key] || MSG.missing)}</div></div>`;
  const pos = r.prob >= 0.5;
  const saw = key === "tfidf" ? sawTfidf(r) : key === "lstm" ? sawLstm(r) : sawBert(r);
  return `<div class="tryit-row" data-model="${key}" data-prob="${r.prob}">${name}` +
    `<div class="tryit-line"><div class="tryit-bar"><div class="tryit-fill ${pos ? "pos" : "neg"}" style="width:${(100 * r.prob).toFixed(1)}%"></div></div>` +
    `<span class="tryit-p">P(正面) = ${fmt(r.prob)}</span><span class="tryit-verdict ${pos ? "pos" : "neg"}">${pos ? "正面" : "负面"}</span></div>${saw}</div>`;
}

async function run() {
  const text = $("tryit-text").value;
  const results = $("tryit-results");
  const message = $("tryit-message");
  if (!text.trim()) {
    results.innerHTML = "";
    message.textContent = MSG.empty;
    message.dataset.kind = "empty";
    return;
  }
  await window.tryit.ready;
  message.textContent = "";
  delete message.dataset.kind;
  const t0 = performance.now();
  const r = await analyze(text);
  const ms = performance.now() - t0;
  results.innerHTML = ROW_KEYS.filter((k) => k in names).map((k) => rowHtml(k, r[k])).join("") +
    `<div class="tryit-time">${Object.keys(models).length} 个模型共用时 ${ms.toFixed(0)} 毫秒。</div>`;
  results.dataset.ms = ms;
}

const STYLE = `
.tryit textarea { width: 100%; font-size: 1rem; padding: .5rem; box-sizing: border-box; }
.tryit-examples button, .tryit-go { margin: .2rem .3rem .2rem 0; padding: .2rem .6rem; border: 1px solid #999; border-radius: 4px; background: #f6f6f6; cursor: pointer; }
.tryit-go { background: #1a6fb5; color: #fff; border-color: #1a6fb5; font-size: 1rem; padding: .3rem 1.2rem; }
.tryit-go:disabled { opacity: .5; }
.tryit-status, .tryit-message { font-weight: 600; }
.tryit-message[data-kind] { color: #a33; }
.tryit-row { border-top: 1px solid #ddd; padding: .6rem 0; }
.tryit-name { font-weight: 600; }
.tryit-line { display: flex; align-items: center; gap: .8rem; flex-wrap: wrap; }
.tryit-bar { flex: 0 0 40%; height: .9rem; background: #eee; border-radius: 3px; overflow: hidden; }
.tryit-fill { height: 100%; } .tryit-fill.pos { background: #3a8f4b; } .tryit-fill.neg { background: #c0504d; }
.tryit-verdict.pos { color: #2d7a3c; font-weight: 600; } .tryit-verdict.neg { color: #b03a37; font-weight: 600; }
.tryit-saw { margin-top: .3rem; display: flex; flex-wrap: wrap; gap: .25rem; align-items: baseline; }
.tryit-label { color: #555; margin-right: .3rem; }
.tryit-chip { border: 1px solid #ccc; border-radius: 3px; padding: 0 .3rem; background: #fafafa; white-space: pre; }
.tryit-chip.oov { color: #888; text-decoration: line-through; } .tryit-chip.unread { opacity: .5; }
.tryit-chip.pos { border-color: #3a8f4b; } .tryit-chip.neg { border-color: #c0504d; } .tryit-chip.char { border-style: dashed; }
.tryit-note { color: #a33; margin-top: .3rem; } .tryit-legend, .tryit-time { color: #666; font-size: .9em; margin-top: .3rem; }
`;

function page() {
  const root = $("tryit");
  if (!root) return;
  const style = document.createElement("style");
  style.textContent = STYLE;
  document.head.append(style);
  const status = $("tryit-status");
  status.textContent = MSG.loading;
  for (const b of root.querySelectorAll("button[data-example]")) {
    b.addEventListener("click", () => { $("tryit-text").value = b.textContent; run(); });
  }
  $("tryit-go").addEventListener("click", run);
  window.tryit.ready.then(() => {
    status.textContent = MSG.ready;
    status.dataset.state = "ready";
  }, (e) => {
    status.textContent = e.sentence ? e.message : MSG.failed + e.message;
    status.dataset.state = "failed";
    $("tryit-go").disabled = true;
    for (const b of root.querySelectorAll("button[data-example]")) b.disabled = true;
  });
}

window.tryit = { ready: load(), analyze, batch, models, names, timings };
window.tryit.ready.catch(() => {});
page();
