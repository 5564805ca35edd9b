/*
 * libFuzzer target for everything a client can send: JSON control messages and binary
 * game messages. Built by `make fuzz-proto`; run with ASan and UBSan.
 */
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    client_msg m;
    char err[256];
    if (proto_decode((const char *)data, size, &m, err, sizeof err) == 0)
        proto_client_msg_free(&m);
    input_msg in;
    if (proto_decode_input(data, size, &in) == 0) {
        uint8_t again[PROTO_INPUT_SIZE];
        proto_encode_input(again, &in);
        for (size_t i = 0; i < PROTO_INPUT_SIZE; i++)
            if (again[i] != data[i])
                __builtin_trap(); /* decode then encode must give the same bytes */
    }
    uint8_t ep, ns;
    uint32_t first;
    uint16_t count;
    proto_decode_confirm_header(data, size, &ep, &ns, &first, &count);
    return 0;
}
