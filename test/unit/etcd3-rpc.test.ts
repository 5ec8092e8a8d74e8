/**
 * etcd3's package definition generated at build time (scripts/etcd3-rpc.mjs) is the one
 * proto-loader builds from rpc.proto: the same entries, the same bytes on the wire and the same
 * decoded objects for every method and every message type that goes on the wire, through the static
 * code that replaces protobufjs' run-time reflection and code generation; and a wrong generator
 * (each of a list of changes to that code) fails the comparison.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import test from 'ava';
import { installedMain } from '../../scripts/bundle-deps.mjs';
import { etcd3RpcModule } from '../../scripts/etcd3-rpc.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const etcd3Main = installedMain(join(root, 'package.json'), ['etcd3']);
const OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

type Fn = (value: unknown) => unknown;
interface TypeDefinition {
  format: string;
  type: unknown;
  fileDescriptorProtos: Buffer[];
}
interface MethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize: Fn;
  requestDeserialize: Fn;
  responseSerialize: Fn;
  responseDeserialize: Fn;
  originalName: string;
  requestType: TypeDefinition;
  responseType: TypeDefinition;
  options: unknown;
}
type Definition = Record<string, TypeDefinition | Record<string, MethodDefinition>>;

/** The subset of protobufjs reflection used to make sample messages. */
interface ReflectedField {
  name: string;
  type: string;
  repeated: boolean;
  map: boolean;
  keyType?: string;
  resolvedType: ReflectedType | { values: Record<string, number> } | null;
  resolve(): ReflectedField;
}
interface ReflectedType {
  fieldsArray: ReflectedField[];
  oneofsArray: { oneof: string[] }[];
}

const loaderMain = createRequire(etcd3Main).resolve('@grpc/proto-loader');
const protoFile = join(dirname(etcd3Main), '..', 'proto', 'rpc.proto');

/** What the generated module defines inside, beside its exports (top-level declarations of its source). */
interface Generated {
  definition: Definition;
  /** Per message type with generated code: [full name, name, field types, coders]. */
  MESSAGES: [string, string, unknown, unknown][];
  createSerializer(index: number): Fn;
  createDeserializer(index: number): Fn;
}

/** Evaluates the generated module's `source` (the one the bundle gets, or a changed copy). */
function evaluate(source: string, resolveDir: string): Generated {
  const module = { exports: {} };
  const inside = new Function('require', 'module', 'exports', `${source}\nreturn { MESSAGES, createSerializer, createDeserializer };`)(
    createRequire(join(resolveDir, 'generated.js')),
    module,
    module.exports,
  ) as Omit<Generated, 'definition'>;
  return { definition: module.exports as Definition, ...inside };
}

function generated(): Definition {
  const { source, resolveDir } = etcd3RpcModule(etcd3Main);
  return evaluate(source, resolveDir).definition;
}

function expected(): Definition {
  const loader = createRequire(etcd3Main)('@grpc/proto-loader') as { loadSync(file: string, options: object): Definition };
  return loader.loadSync(protoFile, OPTIONS);
}

/** How sample values are written: as etcd3 writes them, or in the other forms fromObject takes. */
type Style = 'typed' | 'loose';

/** A message with every field set (repeated and maps with two entries), nested messages to depth 3. */
function sample(type: ReflectedType, depth = 0, style: Style = 'typed'): Record<string, unknown> {
  const scalar: Record<string, unknown> = {
    double: 1.5, float: 0.5, int32: -7, uint32: 7, sint32: -9, fixed32: 11, sfixed32: -13,
    int64: '-1234567890123', uint64: '18446744073709551615', sint64: '-5', fixed64: '42', sfixed64: '-42',
    bool: true, string: 'ünïcode', bytes: Buffer.from([0, 1, 254, 255]),
  };
  // Numbers for 64-bit fields, base64 for bytes, and the enum's last value by its number.
  const loose: Record<string, unknown> = { ...scalar, int64: -1234567890123, uint64: 2 ** 53 - 1, fixed64: 42, bytes: 'AAH+/w==', int32: '-7', bool: 1 };
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const resolved = field.resolve().resolvedType;
    let value: unknown;
    if (resolved && 'values' in resolved) {
      const last = Object.keys(resolved.values).at(-1)!;
      value = style === 'typed' ? last : resolved.values[last];
    } else if (resolved) {
      if (depth >= 3) continue;
      value = sample(resolved, depth + 1, style);
    } else value = (style === 'typed' ? scalar : loose)[field.type];
    if (field.map) out[field.name] = { [String(scalar[field.keyType ?? 'string'])]: value, k2: value };
    else out[field.name] = field.repeated ? [value, value] : value;
  }
  return out;
}

/**
 * The objects each message type is checked with: every field set (as etcd3 writes values, and in
 * fromObject's other accepted forms), each member of each oneof alone, and the empty object.
 */
function samples(type: ReflectedType): Record<string, unknown>[] {
  const full = sample(type);
  const out = [full, sample(type, 0, 'loose'), {}];
  for (const oneof of type.oneofsArray) {
    for (const member of oneof.oneof) {
      const alone = { ...full };
      for (const other of oneof.oneof) if (other !== member) delete alone[other];
      out.push(alone);
    }
  }
  return out;
}

type Reflected = { lookupType(name: string): ReflectedType & { name: string; encode(m: unknown): { finish(): Uint8Array }; decode(b: Uint8Array): unknown; fromObject(o: unknown): unknown; toObject(m: unknown, o: object): unknown } };

/** rpc.proto's root as proto-loader builds it (same protobufjs, same options), for the reflection path. */
function reflectedRoot(): Reflected & { resolveAll(): void } {
  const protobuf = createRequire(loaderMain)('protobufjs') as { Root: new () => { loadSync(file: string, options: object): Reflected & { resolveAll(): void } } };
  const root = new protobuf.Root().loadSync(protoFile, OPTIONS);
  root.resolveAll();
  return root;
}

/**
 * Where the generated module's coders differ from protobufjs' reflection (proto-loader's
 * serializer and deserializer on the same root), for every message type it has code for: the bytes
 * of each sample, the object decoded from the reflection's bytes and from no bytes, and the error
 * of an array argument. Returns the differences and how many messages were compared.
 */
function differences(ours: Generated, root: Reflected): { differing: string[]; compared: number } {
  const differing: string[] = [];
  let compared = 0;
  const outcome = (f: () => unknown) => {
    try {
      return { value: f() };
    } catch (error) {
      return { error: String(error) };
    }
  };
  ours.MESSAGES.forEach(([fullName], index) => {
    const cls = root.lookupType(fullName);
    const serialize = (arg: unknown) => {
      if (Array.isArray(arg)) throw new Error(`Failed to serialize message: expected object with ${cls.name} structure, got array instead`);
      return Buffer.from(cls.encode(cls.fromObject(arg)).finish());
    };
    const deserialize = (buf: Uint8Array) => cls.toObject(cls.decode(buf), OPTIONS);
    const [mySerialize, myDeserialize] = [ours.createSerializer(index), ours.createDeserializer(index)];
    const same = (what: string, mine: unknown, theirs: unknown) => {
      if (!isDeepStrictEqual(mine, theirs)) differing.push(`${fullName} ${what}`);
    };
    samples(cls).forEach((message, i) => {
      const bytes = serialize(message);
      same(`sample ${i} encoded`, outcome(() => Buffer.from(mySerialize(message) as Uint8Array)), { value: bytes });
      same(`sample ${i} decoded`, outcome(() => myDeserialize(bytes)), outcome(() => deserialize(bytes)));
      compared++;
    });
    same('decoded from no bytes', outcome(() => myDeserialize(Buffer.alloc(0))), outcome(() => deserialize(Buffer.alloc(0))));
    same('array argument', outcome(() => mySerialize([])), outcome(() => serialize([])));
  });
  return { differing, compared };
}

/** The message types a service's requests and responses reach through their fields: those that go on the wire. */
function wireTypes(root: Reflected): Set<string> {
  const services = root as unknown as { nestedArray?: unknown[] };
  const reached = new Set<string>();
  const reach = (type: ReflectedType & { fullName: string }) => {
    if (reached.has(type.fullName)) return;
    reached.add(type.fullName);
    for (const field of type.fieldsArray) {
      const resolved = field.resolve().resolvedType;
      if (resolved && 'fieldsArray' in resolved) reach(resolved as ReflectedType & { fullName: string });
    }
  };
  const walk = (namespace: { nestedArray?: unknown[] }) => {
    for (const nested of namespace.nestedArray ?? []) {
      const methods = (nested as { methods?: Record<string, { resolvedRequestType: ReflectedType & { fullName: string }; resolvedResponseType: ReflectedType & { fullName: string } }> }).methods;
      for (const method of Object.values(methods ?? {})) {
        reach(method.resolvedRequestType);
        reach(method.resolvedResponseType);
      }
      walk(nested as { nestedArray?: unknown[] });
    }
  };
  walk(services);
  return new Set([...reached].map((name) => name.slice(1)));
}

test('the generated etcd3 definition equals loadSync(rpc.proto), entry by entry', (t) => {
  const ours = generated();
  const theirs = expected();
  t.deepEqual(Object.keys(ours), Object.keys(theirs));
  const typeDefinition = (d: TypeDefinition) => ({ format: d.format, type: d.type, fileDescriptorProtos: d.fileDescriptorProtos });
  for (const [name, value] of Object.entries(theirs)) {
    const mine = ours[name]!;
    if ('format' in value) {
      t.deepEqual(typeDefinition(mine as TypeDefinition), typeDefinition(value as TypeDefinition), name);
      continue;
    }
    const methods = mine as Record<string, MethodDefinition>;
    t.deepEqual(Object.keys(methods), Object.keys(value), name);
    for (const [method, m] of Object.entries(value as Record<string, MethodDefinition>)) {
      const g = methods[method]!;
      t.deepEqual(Object.keys(g), Object.keys(m), `${name}.${method}`);
      t.deepEqual(
        { path: g.path, requestStream: g.requestStream, responseStream: g.responseStream, originalName: g.originalName, options: g.options },
        { path: m.path, requestStream: m.requestStream, responseStream: m.responseStream, originalName: m.originalName, options: m.options },
        `${name}.${method}`,
      );
      t.deepEqual(typeDefinition(g.requestType), typeDefinition(m.requestType));
      t.deepEqual(typeDefinition(g.responseType), typeDefinition(m.responseType));
    }
  }
});

test('the generated serializers put the same bytes on the wire as proto-loader, for every method', (t) => {
  const ours = generated();
  const theirs = expected();
  const reflected = reflectedRoot();
  let checked = 0;
  for (const [name, value] of Object.entries(theirs)) {
    if ('format' in value) continue;
    for (const [method, m] of Object.entries(value as Record<string, MethodDefinition>)) {
      const g = (ours[name] as Record<string, MethodDefinition>)[method]!;
      const services = reflected as unknown as { lookupService(name: string): { methods: Record<string, { resolvedRequestType: ReflectedType; resolvedResponseType: ReflectedType }> } };
      const reflectedMethod = services.lookupService(name).methods[method]!;
      for (const [side, type] of [['request', reflectedMethod.resolvedRequestType], ['response', reflectedMethod.resolvedResponseType]] as const) {
        const serialize = side === 'request' ? ['requestSerialize', 'requestDeserialize'] as const : ['responseSerialize', 'responseDeserialize'] as const;
        samples(type).forEach((message, i) => {
          const bytes = m[serialize[0]](message) as Buffer;
          t.deepEqual(g[serialize[0]](message), bytes, `${name}.${method} ${side} ${i}`);
          t.deepEqual(g[serialize[1]](bytes), m[serialize[1]](bytes), `${name}.${method} ${side} ${i}`);
        });
        t.deepEqual(g[serialize[1]](Buffer.alloc(0)), m[serialize[1]](Buffer.alloc(0)), `${name}.${method} empty ${side}`);
        checked++;
      }
    }
  }
  t.true(checked >= 80, `checked ${checked} messages`);
  const range = (ours['etcdserverpb.KV'] as Record<string, MethodDefinition>)['Range']!;
  t.throws(() => range.requestSerialize([]), { message: /expected object with RangeRequest structure, got array/ });
});

test('every message type that goes on the wire has static code that encodes and decodes as protobufjs reflection does', (t) => {
  const { source, resolveDir } = etcd3RpcModule(etcd3Main);
  const ours = evaluate(source, resolveDir);
  const root = reflectedRoot();
  t.deepEqual(new Set(ours.MESSAGES.map(([name]) => name)), wireTypes(root));
  const { differing, compared } = differences(ours, root);
  t.deepEqual(differing, []);
  t.true(compared >= 3 * ours.MESSAGES.length, `compared ${compared} messages`);
});

test('the generated module builds no protobufjs root and generates no code at run time', (t) => {
  const { source } = etcd3RpcModule(etcd3Main);
  t.deepEqual([...source.matchAll(/\brequire\(\s*(["'][^"']*["'])\s*\)/g)].map((m) => m[1]), ['"protobufjs/minimal"']);
  t.notRegex(source, /\bFunction\s*\(|\beval\s*\(|fromJSON|resolveAll/);
});

test('a wrong generator is caught: each change to the generated code makes the comparison fail', (t) => {
  const { source, resolveDir } = etcd3RpcModule(etcd3Main);
  const root = reflectedRoot();
  // Each breaks one kind of field, in one direction.
  const mutations: [string, RegExp, string][] = [
    ['int64 decoded as unsigned', /\.int64\(\)/g, '.uint64()'],
    ['int64 encoded as signed varint', /\.int64\(m/g, '.sint64(m'],
    ['bytes encoded as a string', /\.bytes\(m/g, '.string(m'],
    ['enum names off by one', /\.values\[m/g, '.values[1+m'],
    ['enum names taken from numbers only', /case"\w+":\n(case \d+:)/g, '$1'],
    ['no oneof names', /\nif\(o\.oneofs\)\nd\.\w+="\w+"/g, ''],
    ['no defaults', /if\(o\.defaults\)\{/g, 'if(o.defaultz){'],
    ['nested messages decoded as the next type', /types\[(\d+)\]\.decode/g, 'types[$1+1].decode'],
    ['repeated fields keep one element', /(m\.\w+)\.push\(/g, '$1.splice(0,1e9,'],
    ['fields written out of order', /w\.uint32\(10\)/g, 'w.uint32(18)'],
  ];
  for (const [what, pattern, replacement] of mutations) {
    const wrong = source.replace(pattern, replacement);
    t.not(wrong, source, `${what}: the change applies`);
    t.true(differences(evaluate(wrong, resolveDir), root).differing.length > 0, `${what}: caught`);
  }
});
