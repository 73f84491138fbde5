/**
 * A minimal protocol-buffers wire-format writer (proto3 encoding rules): varints, 64-bit two's-complement
 * int64, fixed32 floats, length-delimited strings/bytes/messages and packed repeated fields. Bytes are
 * kept as a list of chunks so that large payloads (tensor raw_data) are never copied while nesting.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const encoder = new TextEncoder();
const TWO_TO_64 = 1n << 64n;

/** Returns the varint bytes of a non-negative integer, or of a negative one as 64-bit two's complement (10 bytes). */
export function encodeVarint(value: number | bigint): Uint8Array {
  let big = typeof value === 'bigint' ? value : BigInt(value);
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`varint value ${value} is not a safe integer`);
  if (big < 0n) big += TWO_TO_64;
  if (big < 0n || big >= TWO_TO_64) throw new RangeError(`varint value ${value} does not fit 64 bits`);
  if (big < 0x80n) return Uint8Array.of(Number(big));
  const bytes: number[] = [];
  while (big >= 0x80n) {
    bytes.push(Number(big & 0x7fn) | 0x80);
    big >>= 7n;
  }
  bytes.push(Number(big));
  return Uint8Array.from(bytes);
}

/** Accumulates one protobuf message; nest with {@link ProtobufWriter.message}. */
export class ProtobufWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  /** Returns the encoded size so far in bytes. */
  get byteLength(): number {
    return this.length;
  }

  private push(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    this.chunks.push(bytes);
    this.length += bytes.byteLength;
  }

  private tag(fieldNumber: number, wireType: number): void {
    this.push(encodeVarint(fieldNumber * 8 + wireType));
  }

  /** Writes a varint field (int32, int64, uint64, bool, enum); negative values as 64-bit two's complement. Returns this. */
  varint(fieldNumber: number, value: number | bigint | boolean): this {
    this.tag(fieldNumber, WIRE_VARINT);
    this.push(encodeVarint(typeof value === 'boolean' ? (value ? 1 : 0) : value));
    return this;
  }

  /** Writes a float field (fixed32, little-endian). Returns this. */
  float(fieldNumber: number, value: number): this {
    return this.fixed(fieldNumber, WIRE_FIXED32, 4, (view) => view.setFloat32(0, value, true));
  }

  /** Writes a double field (fixed64, little-endian). Returns this. */
  double(fieldNumber: number, value: number): this {
    return this.fixed(fieldNumber, WIRE_FIXED64, 8, (view) => view.setFloat64(0, value, true));
  }

  /** Writes a fixed-size field of `size` bytes that `write` fills. Returns this. */
  private fixed(fieldNumber: number, wireType: number, size: number, write: (view: DataView) => void): this {
    this.tag(fieldNumber, wireType);
    const bytes = new Uint8Array(size);
    write(new DataView(bytes.buffer));
    this.push(bytes);
    return this;
  }

  /** Writes a length-delimited bytes field (the bytes are referenced, not copied). Returns this. */
  bytes(fieldNumber: number, value: Uint8Array): this {
    this.tag(fieldNumber, WIRE_LENGTH_DELIMITED);
    this.push(encodeVarint(value.byteLength));
    this.push(value);
    return this;
  }

  /** Writes a UTF-8 string field. Returns this. */
  string(fieldNumber: number, value: string): this {
    return this.bytes(fieldNumber, encoder.encode(value));
  }

  /** Writes an embedded message field whose content `build` writes into a fresh writer. Returns this. */
  message(fieldNumber: number, build: (writer: ProtobufWriter) => void): this {
    const inner = new ProtobufWriter();
    build(inner);
    this.tag(fieldNumber, WIRE_LENGTH_DELIMITED);
    this.push(encodeVarint(inner.length));
    for (const chunk of inner.chunks) this.push(chunk);
    return this;
  }

  /** Writes a packed repeated varint field (nothing when empty). Returns this. */
  packedVarints(fieldNumber: number, values: readonly (number | bigint)[]): this {
    if (values.length === 0) return this;
    const parts = values.map((value) => encodeVarint(value));
    const total = parts.reduce((sum, part) => sum + part.byteLength, 0);
    const packed = new Uint8Array(total);
    let offset = 0;
    for (const part of parts) {
      packed.set(part, offset);
      offset += part.byteLength;
    }
    return this.bytes(fieldNumber, packed);
  }

  /** Writes a packed repeated float field (nothing when empty). Returns this. */
  packedFloats(fieldNumber: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const packed = new Uint8Array(values.length * 4);
    const view = new DataView(packed.buffer);
    values.forEach((value, index) => view.setFloat32(index * 4, value, true));
    return this.bytes(fieldNumber, packed);
  }

  /** Returns the chunks written so far, in order (for streaming to a file without concatenating). */
  parts(): readonly Uint8Array[] {
    return this.chunks;
  }

  /** Returns the whole message as one byte array. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }
}
