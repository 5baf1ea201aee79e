# ussl-client and ussl-server on Debian 12 (bookworm).
#
#   docker build -t ussl .
#   docker run --rm ussl ussl-client --host example.com --cert-reqs required
#   docker run --rm -p 4433:4433 ussl ussl-server --certfile certs/server-chain.pem \
#       --keyfile certs/server.key --bind 0.0.0.0
#
# Stage 1 builds with the same packages and CMake commands as the README's
# scripts (scripts/setup.sh, scripts/build.sh); stage 2 holds only the two
# programs, their runtime libraries and the test PKI in certs/.

FROM debian:12 AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config ca-certificates dpkg-dev patch autoconf automake libtool \
      libwolfssl-dev libcli11-dev libspdlog-dev nlohmann-json3-dev libgtest-dev libre2-dev \
      libidn2-dev libpsl-dev publicsuffix \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The tuned wolfSSL (default): wolfSSL 5.9.2's tarball from Debian's archive
# (pinned by SHA-256), fetched with a private apt configuration, patched and
# built once, linked statically.
RUN ./scripts/fetch-wolfssl-source.sh \
 && cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DUSSL_BUILD_TESTS=OFF \
 && cmake --build build -j "$(nproc)"

FROM debian:12
ARG DEBIAN_FRONTEND=noninteractive
# Runtime libraries of the programs: wolfSSL, RE2, libidn2, libpsl, spdlog,
# fmt and libstdc++ are linked in (cmake/static-libs.cmake); libunistring2
# (libidn2's) is shared. The publicsuffix data file (newer than libpsl's
# built-in list) for the server-name rule, and the system trust store that
# ussl-client uses by default under --cert-reqs optional/required.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libunistring2 publicsuffix ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/apps/ussl-client /src/build/apps/ussl-server /src/build/apps/ussl-bench /usr/local/bin/
COPY --from=build /src/certs /opt/ussl/certs
WORKDIR /opt/ussl
# Smoke test at build time: both programs start and find their libraries.
RUN ussl-client --version && ussl-server --version
EXPOSE 4433
CMD ["ussl-client", "--help"]
