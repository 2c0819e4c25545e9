// What the verify page checks, with nothing but the browser's own WebCrypto: C2SP signed
// notes and checkpoints (Ed25519 log signatures, tlog-cosignature/v1 witness lines), RFC 9162
// inclusion proofs, SHA-256 of the served bytes, and C2SP tlog-proof files. No value the
// server computed is trusted: every hash is recomputed here. tests/vectors/transparency.json
// runs through this module and through the Python verifier alike.

const encoder = new TextEncoder();
const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const SIG_ED25519 = 0x01;
const SIG_COSIGNATURE_V1 = 0x04;

export class Refusal extends Error {}

export function b64decode(text) {
  if (typeof text !== "string" || !B64.test(text)) throw new Refusal("not base64");
  const raw = atob(text);
  const bytes = Uint8Array.from(raw, (c) => c.charCodeAt(0));
  if (b64encode(bytes) !== text) throw new Refusal("not canonical base64");
  return bytes;
}

export function b64encode(bytes) {
  let raw = "";
  for (const b of bytes) raw += String.fromCharCode(b);
  return btoa(raw);
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function utf8(text) {
  return encoder.encode(text);
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

// -- RFC 9162 §2.1 -------------------------------------------------------------------------

export function leafHash(data) {
  return sha256(concat(Uint8Array.of(0), data));
}

export function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

// RFC 9162 §2.1.3.2, on numbers below 2^53
export async function verifyInclusion(index, size, hashedLeaf, proof, root) {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) {
    return false;
  }
  let fn = index;
  let sn = size - 1;
  let r = hashedLeaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn !== 0 && fn % 2 === 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

// -- C2SP signed-note keys and notes -------------------------------------------------------

export async function keyId(name, type, publicKey) {
  const digest = await sha256(concat(utf8(name + "\n"), Uint8Array.of(type), publicKey));
  return digest.slice(0, 4);
}

// "<name>+<8 hex key id>+<base64(type || 32-byte key)>", checked: the id must be the key's
export async function parseVerifierKey(text, type = SIG_ED25519) {
  const value = String(text).trim();
  // a key name holds no '+', base64 may
  const middle = value.indexOf("+");
  const last = value.indexOf("+", middle + 1);
  if (middle <= 0 || last < 0) throw new Refusal("a key is <name>+<id>+<key>");
  const name = value.slice(0, middle);
  const id = value.slice(middle + 1, last);
  const raw = b64decode(value.slice(last + 1));
  if (!/^[0-9a-fA-F]{8}$/.test(id) || raw.length !== 33 || raw[0] !== type) {
    throw new Refusal("not an Ed25519 key of the expected type");
  }
  const publicKey = raw.slice(1);
  const computed = await keyId(name, type, publicKey);
  if (hex(computed) !== id.toLowerCase()) throw new Refusal("the key id is not the key's");
  return { name, keyId: computed, publicKey, type, text: value };
}

// the first 32 hex digits of SHA-256(type || public key), in groups of four
export async function fingerprint(key) {
  const digest = hex(await sha256(concat(Uint8Array.of(key.type), key.publicKey)));
  return digest.slice(0, 32).toUpperCase().match(/.{4}/g).join(" ");
}

export function splitNote(note) {
  if (typeof note !== "string" || !note.endsWith("\n")) throw new Refusal("not a signed note");
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw new Refusal("no empty line before the signatures");
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split("\n");
  const signatures = lines.map((line) => {
    const match = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!match) throw new Refusal("a signature line is malformed");
    const raw = b64decode(match[2]);
    if (raw.length < 5) throw new Refusal("a signature is too short");
    return { name: match[1], keyId: raw.slice(0, 4), signature: raw.slice(4), line: line + "\n" };
  });
  return { text, signatures };
}

async function ed25519(publicKey, signature, message) {
  if (signature.length !== 64) return false;
  const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, [
    "verify",
  ]);
  return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
}

// The note's text if the key signed it (every line of that key must verify), else a Refusal
export async function openNote(note, key) {
  const { text, signatures } = splitNote(note);
  const mine = signatures.filter((s) => s.name === key.name && equal(s.keyId, key.keyId));
  if (mine.length === 0) throw new Refusal("no signature by this key");
  for (const s of mine) {
    if (!(await ed25519(key.publicKey, s.signature, utf8(text)))) {
      throw new Refusal("the signature does not verify");
    }
  }
  return text;
}

// c2sp.org/tlog-checkpoint: origin, size, root hash, extension lines
export function parseCheckpoint(text) {
  const lines = text.slice(0, -1).split("\n");
  if (!text.endsWith("\n") || lines.length < 3) throw new Refusal("not a checkpoint");
  if (!/^(0|[1-9][0-9]{0,15})$/.test(lines[1])) throw new Refusal("not a tree size");
  const size = Number(lines[1]);
  if (!Number.isSafeInteger(size)) throw new Refusal("a tree size beyond 2^53");
  const root = b64decode(lines[2]);
  if (root.length !== 32) throw new Refusal("a root hash is 32 bytes");
  return { origin: lines[0], size, root };
}

// A checkpoint note signed by the log key, whose origin is the key's name
export async function openCheckpoint(note, key) {
  const checkpoint = parseCheckpoint(await openNote(note, key));
  if (checkpoint.origin !== key.name) throw new Refusal("the origin is not the key's name");
  return checkpoint;
}

// c2sp.org/tlog-cosignature v1: the witness's line over the checkpoint text, or null if the
// witness did not cosign; its time (POSIX seconds) when it verifies, false when it does not
export async function cosignedAt(note, witness) {
  const { text, signatures } = splitNote(note);
  const line = signatures.find((s) => s.name === witness.name && equal(s.keyId, witness.keyId));
  if (!line) return null;
  if (line.signature.length !== 72) return false;
  const view = new DataView(line.signature.buffer, line.signature.byteOffset, 8);
  const time = view.getBigUint64(0);
  if (time >= 2n ** 63n) return false;
  const message = concat(utf8(`cosignature/v1\ntime ${time}\n`), utf8(text));
  return (await ed25519(witness.publicKey, line.signature.slice(8), message)) ? Number(time) : false;
}

// c2sp.org/tlog-proof@v1
export function parseTlogProof(text) {
  const split = text.indexOf("\n\n");
  if (split < 0) throw new Refusal("no empty line before the checkpoint");
  const lines = text.slice(0, split).split("\n");
  if (lines.shift() !== "c2sp.org/tlog-proof@v1") throw new Refusal("not a tlog-proof");
  let extra = null;
  if (lines[0]?.startsWith("extra ")) extra = b64decode(lines.shift().slice(6));
  const index = /^index (0|[1-9][0-9]{0,15})$/.exec(lines.shift() ?? "");
  if (!index) throw new Refusal("no index line");
  const hashes = lines.map(b64decode);
  if (hashes.some((h) => h.length !== 32)) throw new Refusal("a hash is 32 bytes");
  return { index: Number(index[1]), hashes, extra, checkpoint: text.slice(split + 2) };
}

export { SIG_COSIGNATURE_V1, SIG_ED25519 };
