/**
 * TLS failures through every transport (the runtime's own and node:tls), against local TLS servers
 * from `transport.listen`: each failed handshake names host:port and says why (expired, not yet
 * valid, unknown CA, hostname/IP mismatch, not a TLS server), with the runtime's error as `cause`;
 * verification is on by default, `servername` is what the certificate is checked against, and
 * `rejectUnauthorized: false` connects to a server the client cannot verify.
 *
 * The certificates below are test material made with openssl for these tests only (EC P-256; a
 * CA valid 2020-2120, a server certificate with SAN DNS:localhost, IP:127.0.0.1, one that expired on
 * 2015-01-02, one valid only from 2100, and an unrelated CA).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { defaultTransport, loadTransport, runtimeName } from "../../src/runtime/mod.ts";
import type { ConnectOptions, Listener, Socket, TlsOptions, Transport } from "../../src/runtime/transport.ts";
import { waitFor } from "../support/wait.ts";

const CA = `-----BEGIN CERTIFICATE-----
MIIBZDCCAQqgAwIBAgICEAAwCgYIKoZIzj0EAwIwGDEWMBQGA1UEAwwNU2Ftc2Et
VW5pdC1DQTAgFw0yMDAxMDEwMDAwMDBaGA8yMTIwMDEwMTAwMDAwMFowGDEWMBQG
A1UEAwwNU2Ftc2EtVW5pdC1DQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABCGj
LxQVcknqu0Avehw4a7YW9kU9/AzpTh2FtkE1MI0R918YMTFjIVJbiIgF8oBJa/LC
LaPF+B8tceu1RLhFIq+jQjBAMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQD
AgEGMB0GA1UdDgQWBBT7jXDzupcJ34l4KY0SwDMszgl7uzAKBggqhkjOPQQDAgNI
ADBFAiEAnn0L+557qKdrTLxOqAfbaeF6HBlg9+/Yb2NDsvVL4/ECIAEF4SniGiqN
oy3F7lXgL7ipQ6UxGnop0bM4auHhY+tx
-----END CERTIFICATE-----
`;
const OTHER_CA = `-----BEGIN CERTIFICATE-----
MIIBcDCCARagAwIBAgICEAEwCgYIKoZIzj0EAwIwHjEcMBoGA1UEAwwTU2Ftc2Et
VW5pdC1PdGhlci1DQTAgFw0yMDAxMDEwMDAwMDBaGA8yMTIwMDEwMTAwMDAwMFow
HjEcMBoGA1UEAwwTU2Ftc2EtVW5pdC1PdGhlci1DQTBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABN9zp2DPbdOnYUnyQbLXEO0E1xvzd1jmA1q3qcR2XwXWlaAltZws
TLzHB10ZDFNKDHzZOesaEB3+o+DLYAk7OfSjQjBAMA8GA1UdEwEB/wQFMAMBAf8w
DgYDVR0PAQH/BAQDAgEGMB0GA1UdDgQWBBQBYLBHfchABTyT4VJXAajUYGHAwDAK
BggqhkjOPQQDAgNIADBFAiEA1/1e2CwElyhsKeVMIapr6pAp9dmhR7yYIMnx1VO4
9BsCIFgedCe+GrbqnOpFMmbqJ2joEZAxflPRKFfA6f1hk0Y6
-----END CERTIFICATE-----
`;
const SERVER_CERT = `-----BEGIN CERTIFICATE-----
MIIBsTCCAVegAwIBAgICEAIwCgYIKoZIzj0EAwIwGDEWMBQGA1UEAwwNU2Ftc2Et
VW5pdC1DQTAgFw0yMDAxMDEwMDAwMDBaGA8yMTIwMDEwMTAwMDAwMFowFDESMBAG
A1UEAwwJbG9jYWxob3N0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEu+LYaWnX
ihptO7H6EdFd8JswLM5jW2Wg972QosoZBCmI/TdvLC6X1V/0yaylhECS45z1T1Iy
QaCeKBgIKmC+8aOBkjCBjzAMBgNVHRMBAf8EAjAAMA4GA1UdDwEB/wQEAwIHgDAT
BgNVHSUEDDAKBggrBgEFBQcDATAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEw
HQYDVR0OBBYEFKNiWB4pjxe0HmUXg4+9VnwbaN9FMB8GA1UdIwQYMBaAFPuNcPO6
lwnfiXgpjRLAMyzOCXu7MAoGCCqGSM49BAMCA0gAMEUCIQD4R+d0ue1DnHCdzKNK
Hu4jbRWhQstObZxpRXGbmmFYiQIgZO5IDLSVbjbuUvIpKe/Lw8pFjOZ1AjlSFsKx
c913qHI=
-----END CERTIFICATE-----
`;
const SERVER_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgebGos9u0LL48Rw6f
oQf9IDEWypx3L58qQniBjcO95AehRANCAAS74thpadeKGm07sfoR0V3wmzAszmNb
ZaD3vZCiyhkEKYj9N28sLpfVX/TJrKWEQJLjnPVPUjJBoJ4oGAgqYL7x
-----END PRIVATE KEY-----
`;
const EXPIRED_CERT = `-----BEGIN CERTIFICATE-----
MIIBrzCCAVWgAwIBAgICEAMwCgYIKoZIzj0EAwIwGDEWMBQGA1UEAwwNU2Ftc2Et
VW5pdC1DQTAeFw0xNTAxMDEwMDAwMDBaFw0xNTAxMDIwMDAwMDBaMBQxEjAQBgNV
BAMMCWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABDSebA36qQEZ
/VawxiTRDlCXTXx7VWl+xs0i9V+Ydd4gU9YrzciEuNLrmVW1jAGoOem893ttT0KZ
pS73/nAHBpGjgZIwgY8wDAYDVR0TAQH/BAIwADAOBgNVHQ8BAf8EBAMCB4AwEwYD
VR0lBAwwCgYIKwYBBQUHAwEwGgYDVR0RBBMwEYIJbG9jYWxob3N0hwR/AAABMB0G
A1UdDgQWBBQsNV3EL75VJxv+MfnJVR8BFHedUzAfBgNVHSMEGDAWgBT7jXDzupcJ
34l4KY0SwDMszgl7uzAKBggqhkjOPQQDAgNIADBFAiBHOldhsG3PDUCuPhEimcR/
EYOpd144efdkKWreR3fpzQIhANKanRSlpguWxcP53CcCtbdg5K8L1qldti1pG9i0
3Xbe
-----END CERTIFICATE-----
`;
const EXPIRED_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg0ygXcPrVr6TR6Uw6
CutSNflMK8dl9I2u61xg+ZTzuKmhRANCAAQ0nmwN+qkBGf1WsMYk0Q5Ql018e1Vp
fsbNIvVfmHXeIFPWK83IhLjS65lVtYwBqDnpvPd7bU9CmaUu9/5wBwaR
-----END PRIVATE KEY-----
`;
const FUTURE_CERT = `-----BEGIN CERTIFICATE-----
MIIBszCCAVmgAwIBAgICEAQwCgYIKoZIzj0EAwIwGDEWMBQGA1UEAwwNU2Ftc2Et
VW5pdC1DQTAiGA8yMTAwMDEwMTAwMDAwMFoYDzIxMDEwMTAxMDAwMDAwWjAUMRIw
EAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATvof5z
cSm4HeGwgfI1MoJvA3a2DLLN3ogTPSH1ztgyCYZkM/XnzVPsaf0vsvZXw+AJqQ5j
L2M4wnXokFPbaJhao4GSMIGPMAwGA1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQDAgeA
MBMGA1UdJQQMMAoGCCsGAQUFBwMBMBoGA1UdEQQTMBGCCWxvY2FsaG9zdIcEfwAA
ATAdBgNVHQ4EFgQU5SdaLcBkILXwqyi0Fo4ze0KgNYMwHwYDVR0jBBgwFoAU+41w
87qXCd+JeCmNEsAzLM4Je7swCgYIKoZIzj0EAwIDSAAwRQIhAJX3TfYNFeleDKnU
r2Noc78oS1yXHLGBKlx16UYvH7n6AiAjJa7xmFTdSLy8M5CzMzRH9odqtCaCZX2f
5AeiqsrfNA==
-----END CERTIFICATE-----
`;
const FUTURE_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg9ArnRwce5caUM17k
PNZ4AulYC1zslcXqWocIFEfubMChRANCAATvof5zcSm4HeGwgfI1MoJvA3a2DLLN
3ogTPSH1ztgyCYZkM/XnzVPsaf0vsvZXw+AJqQ5jL2M4wnXokFPbaJha
-----END PRIVATE KEY-----
`;

async function transports(): Promise<Transport[]> {
  const own = await defaultTransport();
  const node = await loadTransport("node");
  return own.name === node.name ? [own] : [own, node];
}

/** A TLS echo server on the runtime's own transport. */
async function tlsServer(cert: string, key: string, host = "127.0.0.1"): Promise<Listener> {
  const t = await defaultTransport();
  return await t.listen(
    { host, port: 0, tls: { cert, key } },
    (s) => ({ onData: (c) => s.write(c.slice()), onClose: () => {} }),
  );
}

/** Connects with `tls`; resolves with the socket after an echo round trip, or rejects. */
async function echo(
  t: Transport,
  o: Omit<ConnectOptions, "tls" | "timeoutMs">,
  tls: TlsOptions | true,
): Promise<Socket> {
  let got = 0;
  let closeErr: Error | undefined;
  const s = await t.connect({ ...o, tls, timeoutMs: 5000 }, {
    onData: (c) => (got += c.length),
    onClose: (e) => (closeErr = e ?? new Error("closed")),
  });
  s.write(new TextEncoder().encode("ping"));
  await waitFor(() => got >= 4 || closeErr !== undefined, 5000, "echo");
  if (closeErr) throw closeErr;
  return s;
}

/**
 * What the message must say: Deno's node:tls (the node transport on Deno) reports an expired or
 * not yet valid certificate like an unknown CA, and the adapter says that it cannot tell them apart.
 */
function expect(t: Transport, re: RegExp): RegExp {
  return runtimeName() === "deno" && t.name === "node"
    ? /unknown CA, or the certificate expired or is not valid yet/
    : re;
}

/** Asserts that `p` rejects with a message holding `where` and every pattern, and a cause. */
async function rejectsWith(p: Promise<unknown>, where: string, ...patterns: RegExp[]): Promise<Error> {
  let err: Error | undefined;
  try {
    await p;
  } catch (e) {
    err = e as Error;
  }
  assert.ok(err, "expected a rejection");
  assert.ok(err.message.includes(where), `"${err.message}" should name ${where}`);
  for (const re of patterns) assert.match(err.message, re);
  assert.ok(err.cause instanceof Error, `the runtime's error is the cause (${err.message})`);
  return err;
}

describe(`TLS failures say why (${runtimeName()})`, () => {
  test("a server with a valid certificate: connects by IP (IP SAN) and by name (DNS SAN), verification on by default", async () => {
    const server = await tlsServer(SERVER_CERT, SERVER_KEY);
    try {
      for (const t of await transports()) {
        (await echo(t, { host: "127.0.0.1", port: server.port }, { ca: CA })).close();
        (await echo(t, { host: "localhost", port: server.port }, { ca: CA })).close();
        (await echo(t, { host: "127.0.0.1", port: server.port }, { ca: [OTHER_CA, CA], servername: "localhost" }))
          .close();
        // no CA given: the runtime's roots do not know the test CA
        await rejectsWith(
          echo(t, { host: "127.0.0.1", port: server.port }, true),
          `127.0.0.1:${server.port}`,
          /untrusted issuer|unknown CA/,
        );
      }
    } finally {
      await server.close();
    }
  });

  test("expired certificate: rejected, the message says expired", async () => {
    const server = await tlsServer(EXPIRED_CERT, EXPIRED_KEY);
    try {
      for (const t of await transports()) {
        const err = await rejectsWith(
          echo(t, { host: "127.0.0.1", port: server.port }, { ca: CA }),
          `127.0.0.1:${server.port}`,
          expect(t, /expired/),
        );
        assert.match(err.message, /TLS handshake failed/, `${t.name}: ${err.message}`);
      }
    } finally {
      await server.close();
    }
  });

  test("certificate not valid yet: rejected, the message says so", async () => {
    const server = await tlsServer(FUTURE_CERT, FUTURE_KEY);
    try {
      for (const t of await transports()) {
        await rejectsWith(
          echo(t, { host: "127.0.0.1", port: server.port }, { ca: CA }),
          `127.0.0.1:${server.port}`,
          expect(t, /not valid yet/),
        );
      }
    } finally {
      await server.close();
    }
  });

  test("certificate from another CA: rejected as untrusted issuer / unknown CA", async () => {
    const server = await tlsServer(SERVER_CERT, SERVER_KEY);
    try {
      for (const t of await transports()) {
        await rejectsWith(
          echo(t, { host: "127.0.0.1", port: server.port }, { ca: OTHER_CA }),
          `127.0.0.1:${server.port}`,
          /untrusted issuer \/ unknown CA/,
          /tls\.ca/,
        );
      }
    } finally {
      await server.close();
    }
  });

  test("hostname mismatch: a servername not in the SAN, and an IP not in the SAN, are rejected; a servername in it is used for the check", async () => {
    const server = await tlsServer(SERVER_CERT, SERVER_KEY);
    // 127.0.0.2 is loopback too, but not in the certificate's SAN (IP:127.0.0.1)
    const other = await tlsServer(SERVER_CERT, SERVER_KEY, "127.0.0.2");
    try {
      for (const t of await transports()) {
        await rejectsWith(
          echo(t, { host: "127.0.0.1", port: server.port }, { ca: CA, servername: "wrong.example" }),
          `127.0.0.1:${server.port}`,
          /hostname mismatch/,
          /wrong\.example/,
        );
        await rejectsWith(
          echo(t, { host: "127.0.0.2", port: other.port }, { ca: CA }),
          `127.0.0.2:${other.port}`,
          /hostname mismatch/,
          /127\.0\.0\.2/,
        );
        (await echo(t, { host: "127.0.0.2", port: other.port }, { ca: CA, servername: "localhost" })).close();
      }
    } finally {
      await server.close();
      await other.close();
    }
  });

  test("rejectUnauthorized: false connects to a server it cannot verify (unknown CA, wrong name, expired)", async () => {
    const server = await tlsServer(EXPIRED_CERT, EXPIRED_KEY);
    try {
      for (const t of await transports()) {
        const s = await echo(t, { host: "127.0.0.1", port: server.port }, {
          ca: OTHER_CA,
          servername: "wrong.example",
          rejectUnauthorized: false,
        });
        assert.equal(s.closed, false, `${t.name}: connected`);
        s.close();
      }
    } finally {
      await server.close();
    }
  });

  test("a plain TCP server: the TLS handshake fails with a hint, or times out naming the handshake; never hangs", async () => {
    const plain = await defaultTransport();
    let accepted: Socket[] = [];
    // closes on the first bytes (the ClientHello)
    const closing = await plain.listen(
      { host: "127.0.0.1", port: 0 },
      (s) => ({ onData: () => s.close(), onClose: () => {} }),
    );
    // accepts and never answers
    const silent = await plain.listen({ host: "127.0.0.1", port: 0 }, (s) => {
      accepted.push(s);
      return { onData: () => {}, onClose: () => {} };
    });
    try {
      for (const t of await transports()) {
        await rejectsWith(
          t.connect({ host: "127.0.0.1", port: closing.port, tls: { ca: CA }, timeoutMs: 5000 }, {
            onData() {},
            onClose() {},
          }),
          `127.0.0.1:${closing.port}`,
          /TLS/,
        );
        const t0 = Date.now();
        await rejectsWith(
          t.connect({ host: "127.0.0.1", port: silent.port, tls: { ca: CA }, timeoutMs: 300 }, {
            onData() {},
            onClose() {},
          }),
          `127.0.0.1:${silent.port}`,
          /timed out after 300 ms/,
          /TLS handshake/,
        );
        assert.ok(Date.now() - t0 < 3000, `${t.name}: the timeout is kept`);
      }
    } finally {
      await closing.close();
      await silent.close();
      for (const s of accepted) s.close();
      accepted = [];
    }
  });

  test("a client certificate without its key (and the reverse) fails naming the missing option", async () => {
    for (const t of await transports()) {
      await assert.rejects(
        t.connect({ host: "127.0.0.1", port: 9, tls: { ca: CA, cert: SERVER_CERT }, timeoutMs: 1000 }, {
          onData() {},
          onClose() {},
        }),
        /tls\.key/,
      );
      await assert.rejects(
        t.connect({ host: "127.0.0.1", port: 9, tls: { ca: CA, key: SERVER_KEY }, timeoutMs: 1000 }, {
          onData() {},
          onClose() {},
        }),
        /tls\.cert/,
      );
    }
  });
});
