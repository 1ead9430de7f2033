# workerd configuration of the test Worker. tests/integration/workerd_test.ts copies it into a work
# dir next to worker.js (tests/workerd/worker.ts bundled by `bun build`) and ca.pem (the local
# broker's test CA), then runs `workerd serve config.capnp --socket-addr http=127.0.0.1:<free port>`.
# By hand:
#   d=.cache/workerd/manual; mkdir -p $d; cp tests/workerd/config.capnp $d/
#   cp .cache/kafka/run/secrets/ca.pem $d/        # or any PEM CA when TLS is not used
#   node_modules/.bin/bun build tests/workerd/worker.ts --target=browser --format=esm \
#     --external 'node:*' --external cloudflare:sockets --outfile $d/worker.js
#   node_modules/.bin/workerd serve $d/config.capnp
#   curl 'http://127.0.0.1:8787/?brokers=127.0.0.1:9092&n=1000'
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .kafkaWorker),
    # the Worker's outbound network: fetch() and connect() go through it. The default "internet"
    # service allows public addresses only; the local broker is on loopback. The test broker's CA
    # is trusted here because workerd's connect() takes no per-socket CA.
    (name = "loopback", network = (
      allow = ["local", "private", "public"],
      tlsOptions = (trustBrowserCas = true, trustedCertificates = [embed "ca.pem"]),
    )),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

const kafkaWorker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  # nodejs_compat: the library reaches zlib and diagnostics_channel through node: modules
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["nodejs_compat"],
  globalOutbound = "loopback",
);
