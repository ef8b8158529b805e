// The incremental multipart parser: the same parts and bytes however the body is cut, what browsers and Bun send, and every malformed shape refused.

import { describe, expect, test } from "bun:test";
import { boundaryOf, MultipartError, MultipartParser, PARTS_MAX, type MultipartEvent } from "./multipart";

const enc = new TextEncoder();

/** Parses a body fed in the given chunk sizes; gives parts with their data joined, or throws. */
function parse(boundary: string, body: Uint8Array, sizes: number[] = [body.length || 1]) {
  const p = new MultipartParser(boundary);
  const parts: { name: string; filename: string | undefined; data: number[] }[] = [];
  const take = (events: MultipartEvent[]) => {
    for (const e of events) {
      if (e.type === "part") parts.push({ name: e.name, filename: e.filename, data: [] });
      else parts[parts.length - 1].data.push(...e.bytes);
    }
  };
  for (let at = 0, i = 0; at < body.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]);
    take(p.push(body.subarray(at, at + n)));
    at += n;
  }
  p.end();
  return parts.map((x) => ({ ...x, data: new TextDecoder().decode(Uint8Array.from(x.data)) }));
}

describe("multipart parser", () => {
  const B = "XyZ-boundary";
  const body = enc.encode(
    "preamble to ignore\r\n" +
      `--${B}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n` +
      `--${B}  \r\ncontent-disposition: form-data; name="file"; filename="ünï.txt"\r\nContent-Type: text/plain\r\n\r\n` +
      `line one\r\n--${B.slice(0, 5)} not a boundary\r\n--${B.slice(0, -1)} still data\r\n` + // near-delimiters inside the data
      `\r\n--${B}\r\nContent-Disposition: form-data; name="empty"; filename=""\r\n\r\n` +
      `\r\n--${B}--\r\nepilogue to ignore`,
  );
  const expected = [
    { name: "note", filename: undefined, data: "hello" },
    { name: "file", filename: "ünï.txt", data: `line one\r\n--${B.slice(0, 5)} not a boundary\r\n--${B.slice(0, -1)} still data\r\n` },
    { name: "empty", filename: "", data: "" },
  ];

  test("MPART-1 the same parts and bytes whether the body comes whole or cut at every byte and in odd sizes", () => {
    expect(parse(B, body)).toEqual(expected);
    for (const sizes of [[1], [2], [3, 5], [7, 1, 13], [B.length + 3], [B.length + 4, 1]]) expect(parse(B, body, sizes)).toEqual(expected);
    for (let cut = 1; cut < body.length; cut++) expect(parse(B, body, [cut, body.length])).toEqual(expected);
  });

  test("MPART-2 what Bun's own FormData sends parses to the same fields and bytes", async () => {
    const bytes = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 256); // every byte value, CR and LF among them
    const fd = new FormData();
    fd.append("text", "a value");
    fd.append("file", new File([bytes], "d\u00e9j\u00e0 vu.bin"));
    const req = new Request("http://x/", { method: "POST", body: fd });
    const boundary = boundaryOf(req.headers.get("content-type"))!;
    expect(boundary).toBeString();
    const raw = new Uint8Array(await req.arrayBuffer());
    const p = new MultipartParser(boundary);
    const got: { name: string; filename?: string; size: number; bytes: number[] }[] = [];
    for (let at = 0; at < raw.length; at += 4093) {
      for (const e of p.push(raw.subarray(at, at + 4093))) {
        if (e.type === "part") got.push({ name: e.name, filename: e.filename, size: 0, bytes: [] });
        else got[got.length - 1].bytes.push(...e.bytes);
      }
    }
    p.end();
    expect(got.map((g) => [g.name, g.filename])).toEqual([["text", undefined], ["file", "d\u00e9j\u00e0 vu.bin"]]);
    expect(new TextDecoder().decode(Uint8Array.from(got[0].bytes))).toBe("a value");
    expect(Uint8Array.from(got[1].bytes)).toEqual(bytes);
  });

  test("MPART-3 boundaryOf: only multipart/form-data with a valid boundary, quoted or not", () => {
    expect(boundaryOf("multipart/form-data; boundary=abc")).toBe("abc");
    expect(boundaryOf('Multipart/Form-Data; charset=utf-8; BOUNDARY="a b:c"')).toBe("a b:c");
    for (const bad of [null, "", "multipart/form-data", "multipart/form-data; boundary=", "multipart/mixed; boundary=abc", "text/plain; boundary=abc", `multipart/form-data; boundary=${"x".repeat(71)}`, "multipart/form-data; boundary=a\u00e9"]) {
      expect(boundaryOf(bad)).toBeUndefined();
    }
  });

  test("MPART-4 malformed bodies throw MultipartError, however they are cut", () => {
    const B2 = "bnd";
    const ok = (name: string) => `--${B2}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\nx\r\n`;
    const bad = [
      "", // no parts at all
      "no boundary anywhere",
      ok("a"), // no closing boundary
      ok("a").slice(0, -4), // cut in the data
      `--${B2}\r\nContent-Disposition: form-da`, // cut in the headers
      `--${B2}`, // cut after a boundary
      `--${B2}junk\r\n\r\nx\r\n--${B2}--`, // garbage after a boundary
      `--${B2}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${B2}--`, // no Content-Disposition
      `--${B2}\r\nContent-Disposition: attachment; name="a"\r\n\r\nx\r\n--${B2}--`, // not form-data
      `--${B2}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--${B2}--`, // no name
      `--${B2}\r\nno colon here\r\n\r\nx\r\n--${B2}--`,
      `--${B2}\r\nContent-Disposition: form-data; name="a"\r\nX-Pad: ${"p".repeat(17 * 1024)}\r\n\r\nx\r\n--${B2}--`, // header block too large
      ok("a").repeat(PARTS_MAX + 1) + `--${B2}--`, // too many parts
    ];
    for (const b of bad) {
      for (const sizes of [[1 << 20], [1], [5, 3]]) {
        expect(() => parse(B2, enc.encode(b), sizes)).toThrow(MultipartError);
      }
    }
    expect(() => parse(B2, Uint8Array.from([...enc.encode(`--${B2}\r\nContent-Disposition: form-data; name="`), 0xff, ...enc.encode(`"\r\n\r\nx\r\n--${B2}--`)]))).toThrow(/UTF-8/);
    expect(parse(B2, enc.encode(ok("a").repeat(PARTS_MAX) + `--${B2}--`)).length).toBe(PARTS_MAX);
  });
});
