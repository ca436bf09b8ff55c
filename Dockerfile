# The wasme image: the whole CLI, used by the node cache DaemonSet as `wasme cache …`.
#   docker build -t ghcr.io/wasme/wasme:0.1.0 .
# Tag it with the project version (CMakeLists.txt): `deploy istio` renders the cache image of
# the version that renders it, never :latest.
# Build on Debian bookworm; run on bookworm-slim with only the packages of the shared
# libraries the binary links. scripts/check-dockerfile-libs.sh keeps RUNTIME_LIBRARIES in
# step with the built binary (CI runs it; no container engine needed).

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake g++ make pkg-config \
      libcli11-dev libcurl4-openssl-dev nlohmann-json3-dev libyaml-cpp-dev libssl-dev \
      libarchive-dev libcpp-httplib-dev libsodium-dev wabt \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY cli cli
COPY lib lib
COPY templates templates
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DWASME_TESTS=OFF -DWASME_WERROR=ON \
 && cmake --build build --target wasme -j"$(nproc)" \
 && strip build/wasme

FROM debian:bookworm-slim AS runtime
# One package per library in the binary's NEEDED list (readelf -d), nothing else; apt brings
# their own dependencies. ca-certificates is data, not a library: TLS to registries needs it.
ARG RUNTIME_LIBRARIES="libarchive13 libc6 libcpp-httplib0.11 libcurl4 libgcc-s1 libsodium23 libssl3 libstdc++6 libyaml-cpp0.7"
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates ${RUNTIME_LIBRARIES} \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/wasme /usr/local/bin/wasme
# The cache's HTTP port (/ready, /images, /<sha256>).
EXPOSE 9979
ENTRYPOINT ["wasme"]
