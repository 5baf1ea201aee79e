"""ussl benchmark harness (bench/run.sh builds the programs, enters a private network namespace and runs
bench/run.py, which calls usslbench.main). Measures, in one run and on loopback only:

  1. server CPU per full TLS 1.3 handshake, ECDSA P-256 + X25519
  2. the same with RSA-2048
  3. server CPU per resumed handshake
  4. bulk download of 1 GiB, AES-128-GCM (plus an upload, for information)
  5. memory per idle established connection, N held
  6. one-shot verified client handshake, exec to exit
  7. scale: new handshakes/s while N idle connections are held
  8. a full ussl-client --scan against sslscan and testssl.sh
  9. server CPU per full mutual-TLS handshake (client certificate required and verified)

ussl-server against openssl s_server and gnutls-serv, ussl-client against curl, openssl s_client and
gnutls-cli. Servers run on CPU 0, clients on CPU 1. Server CPU comes from /proc/PID/stat (utime + stime)
of the server process. With --baseline, the programs of an older commit are one more flavour measured in
the same run, and the document gives new/base ratios. Every figure printed or written comes from this run.

Modules: proc (starting, pinning and stopping processes), readings (/proc, perf and massif), stats
(medians, formatting, verdicts), peers (the run's state, the servers it starts, the load client),
rows_* (the measurements, each filling Bench.R["rows"]), profiles (perf, massif), table (the target
table and the baseline comparison, as data), plot, doc (docs/performance.md), main.
"""
