// Encodes every document of a corpus with a reference tokenizer (transformers.js, from npm)
// and writes their ids, for tokenizer_reference_test.cc to compare with llmbench's own.
// Usage: node reference_encode.mjs NODE_MODULES_DIR PACKAGE CORPUS.json OUT.json
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [modules, pkg, corpusPath, outPath] = process.argv.slice(2);
const entry = join(modules, pkg, "dist", "main.mjs");
const { fromPreTrained } = await import(pathToFileURL(entry).href);
const tokenizer = fromPreTrained();
const corpus = JSON.parse(readFileSync(corpusPath, "utf8"));
const ids = corpus.map((text) => Array.from(tokenizer.encode(text, { add_special_tokens: false })));
writeFileSync(outPath, JSON.stringify(ids));
