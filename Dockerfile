FROM debian:12
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN ./scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DLB_BUILD_TESTS=OFF -DLB_BUILD_BENCH=OFF \
 && cmake --build build -j"$(nproc)" --target lorawan-bridge \
 && cp build/lorawan-bridge /usr/local/bin/
WORKDIR /data
ENTRYPOINT ["lorawan-bridge"]
