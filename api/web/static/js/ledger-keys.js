// Keys, canonical JSON and signing, in the browser.
//
// A person's key is an Ed25519 WebCrypto key made here (or, on the demo store only, imported
// from the demo's PKCS#8 file) with extractable = false, and kept in IndexedDB: the private
// key never leaves this browser and no script can read its bytes. A command is signed over
// its RFC 8785 (JCS) bytes, which canonicalize() makes exactly as the ledger's Python side
// does (tests/vectors/canonical.json is run through both).

const DB_NAME = "parledger";
const STORE = "keys";
const CURRENT = "parledger.current-key";
const ED25519 = { name: "Ed25519" };

// -- canonical JSON (RFC 8785) ------------------------------------------------------------

export function canonicalize(value) {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isSafeInteger(value)) {
        throw new TypeError("only integers within ±(2^53 − 1); send decimals as strings");
      }
      return String(value);
    case "string":
      if (!value.isWellFormed()) throw new TypeError("a string holds a lone surrogate");
      // ECMAScript's string serialisation is the one RFC 8785 §3.2.2.2 prescribes
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return "[" + value.map(canonicalize).join(",") + "]";
      // the default sort compares UTF-16 code units, the order RFC 8785 §3.2.3 prescribes
      const names = Object.keys(value).sort();
      const members = names.map((name) => {
        if (!name.isWellFormed()) throw new TypeError("a member name holds a lone surrogate");
        if (value[name] === undefined) throw new TypeError(`member ${name} has no value`);
        return JSON.stringify(name) + ":" + canonicalize(value[name]);
      });
      return "{" + members.join(",") + "}";
    }
    default:
      throw new TypeError(`${typeof value} is not a JSON value`);
  }
}

export function canonicalBytes(value) {
  return new TextEncoder().encode(canonicalize(value));
}

// -- bytes --------------------------------------------------------------------------------

export function base64(bytes) {
  let text = "";
  for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
  return btoa(text);
}

export function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function hex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function randomNonce() {
  return hex(crypto.getRandomValues(new Uint8Array(16)));
}

// The key id (FORMATS §2): the first 16 bytes of SHA-256 over the raw public key, in hex.
export async function keyIdOf(rawPublicKey) {
  return hex(await crypto.subtle.digest("SHA-256", rawPublicKey)).slice(0, 32);
}

// The short fingerprint read aloud at enrolment, as the pages print it (api/web/format.py).
export function fingerprint(keyId) {
  return keyId.slice(0, 16).toUpperCase().match(/.{4}/g).join(" ");
}

// -- the key store ------------------------------------------------------------------------

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "keyId" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore(mode, act) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = act(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

async function record(keyPair, person, origin) {
  const raw = await crypto.subtle.exportKey("raw", keyPair.publicKey);
  const keyId = await keyIdOf(raw);
  return {
    keyId,
    publicKey: base64(raw),
    privateKey: keyPair.privateKey,
    person,
    origin,
    createdAt: new Date().toISOString(),
  };
}

async function keep(entry) {
  await withStore("readwrite", (store) => store.put(entry));
  localStorage.setItem(CURRENT, entry.keyId);
  return entry;
}

// A new key, non-extractable, kept in this browser and made the current one.
export async function generateKey(person) {
  const pair = await crypto.subtle.generateKey(ED25519, false, ["sign", "verify"]);
  return keep(await record(pair, person, "generated"));
}

// The demo's key for one person (PKCS#8, base64), imported non-extractable.
export async function importDemoKey(pkcs8Base64, publicKeyBase64, person) {
  const privateKey = await crypto.subtle.importKey(
    "pkcs8", fromBase64(pkcs8Base64), ED25519, false, ["sign"]);
  const publicKey = await crypto.subtle.importKey(
    "raw", fromBase64(publicKeyBase64), ED25519, true, ["verify"]);
  return keep(await record({ privateKey, publicKey }, person, "demo"));
}

export async function listKeys() {
  const all = (await withStore("readonly", (store) => store.getAll())) || [];
  return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export async function getKey(keyId) {
  return withStore("readonly", (store) => store.get(keyId));
}

export async function currentKey() {
  const keyId = localStorage.getItem(CURRENT);
  const found = keyId ? await getKey(keyId) : undefined;
  if (found) return found;
  const all = await listKeys();
  return all.length ? all[all.length - 1] : null;
}

export function useKey(keyId) {
  localStorage.setItem(CURRENT, keyId);
}

export async function forgetKey(keyId) {
  await withStore("readwrite", (store) => store.delete(keyId));
  if (localStorage.getItem(CURRENT) === keyId) localStorage.removeItem(CURRENT);
}

// -- signing ------------------------------------------------------------------------------

export async function sign(key, bytes) {
  return base64(await crypto.subtle.sign(ED25519, key.privateKey, bytes));
}

// A signed command envelope (FORMATS §3), issued at the ledger's time `now` (ISO 8601).
export async function signCommand(key, ledger, type, args, now) {
  const command = { ledger, type, args, key_id: key.keyId, issued_at: now, nonce: randomNonce() };
  return { command, signature: await sign(key, canonicalBytes(command)) };
}

// The bytes a key signs to get a read token (FORMATS §10b).
export function challengeBytes(challenge) {
  return new TextEncoder().encode("parledger-auth-v1:" + challenge);
}
