/** Types for scripts/etcd3-rpc.mjs (imported by test/unit/etcd3-rpc.test.ts). */

/** The generated replacement of etcd3's loadSync(rpc.proto): CommonJS source, and where its require() resolves from. */
export function etcd3RpcModule(etcd3Main: string): { source: string; resolveDir: string };
/** As ETCD3_OPTIONS (what etcd3 passes to loadSync), as source. */
export const ETCD3_OPTIONS_SOURCE: string;
