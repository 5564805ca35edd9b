/*
 * Native half of the fixed-point cross-target check (tests/determinism/fixed.mjs runs the
 * wasm half): writes fixed_probe(op, i) for every op and i < N as little-endian uint32,
 * op-major, after a header "CFX1", u32 ops, u32 N.
 *
 *   fixed_native OUT [N]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

uint32_t fixed_probe_ops(void);
uint32_t fixed_probe(uint32_t op, uint32_t i);

static void put32(FILE *f, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fwrite(b, 1, 4, f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s OUT [N]\n", argv[0]);
        return 2;
    }
    uint32_t n = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 1u << 17;
    FILE *f = fopen(argv[1], "wb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    fwrite("CFX1", 1, 4, f);
    put32(f, fixed_probe_ops());
    put32(f, n);
    for (uint32_t op = 0; op < fixed_probe_ops(); op++)
        for (uint32_t i = 0; i < n; i++)
            put32(f, fixed_probe(op, i));
    if (fclose(f) != 0) {
        perror(argv[1]);
        return 2;
    }
    return 0;
}
