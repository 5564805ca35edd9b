/* Fixed-point and random-number helpers (the formats, rounding and bounds are in fixed.h). */
#include "fixed.h"

/*
 * Quarter-wave tables, 257 entries each (256 intervals and the end point), computed once
 * with Python's math module:
 *   sin_q24[i]  = round(sin(i/256 * pi/2) * 2^24)              sin in Q8.24
 *   atan_q24[i] = round(atan(i/256) / (2*pi) * 65536 * 256)     atan in 1/2^24 turn
 * Eight bits more than the result has, so that interpolating and rounding once at the
 * end stays within one step. tests/unit/test_env_fixed.c checks both against libm.
 */
static const int32_t sin_q24[257] = {
    0, 102943, 205882, 308814, 411733, 514638, 617523, 720384,
    823219, 926023, 1028791, 1131521, 1234209, 1336849, 1439440, 1541976,
    1644455, 1746871, 1849222, 1951503, 2053710, 2155841, 2257890, 2359854,
    2461729, 2563511, 2665197, 2766783, 2868265, 2969638, 3070900, 3172046,
    3273072, 3373976, 3474752, 3575398, 3675909, 3776281, 3876512, 3976596,
    4076531, 4176312, 4275936, 4375399, 4474698, 4573827, 4672785, 4771567,
    4870169, 4968587, 5066819, 5164860, 5262706, 5360355, 5457801, 5555042,
    5652074, 5748893, 5845495, 5941878, 6038037, 6133968, 6229669, 6325135,
    6420363, 6515349, 6610090, 6704582, 6798821, 6892805, 6986529, 7079990,
    7173184, 7266109, 7358759, 7451133, 7543226, 7635036, 7726557, 7817788,
    7908725, 7999364, 8089701, 8179734, 8269459, 8358873, 8447972, 8536753,
    8625213, 8713348, 8801154, 8888630, 8975771, 9062573, 9149035, 9235152,
    9320922, 9406340, 9491405, 9576112, 9660458, 9744441, 9828057, 9911303,
    9994176, 10076672, 10158790, 10240524, 10321873, 10402834, 10483403, 10563577,
    10643353, 10722729, 10801701, 10880266, 10958422, 11036165, 11113493, 11190402,
    11266890, 11342953, 11418590, 11493797, 11568571, 11642909, 11716809, 11790268,
    11863283, 11935852, 12007971, 12079638, 12150850, 12221604, 12291899, 12361731,
    12431097, 12499995, 12568423, 12636378, 12703856, 12770857, 12837376, 12903413,
    12968963, 13034026, 13098597, 13162675, 13226258, 13289343, 13351928, 13414009,
    13475586, 13536656, 13597215, 13657263, 13716797, 13775814, 13834313, 13892291,
    13949745, 14006675, 14063077, 14118950, 14174291, 14229098, 14283370, 14337104,
    14390298, 14442951, 14495059, 14546622, 14597637, 14648103, 14698017, 14747378,
    14796184, 14844432, 14892122, 14939251, 14985817, 15031819, 15077256, 15122124,
    15166424, 15210152, 15253308, 15295889, 15337895, 15379323, 15420172, 15460440,
    15500126, 15539229, 15577747, 15615678, 15653022, 15689776, 15725939, 15761510,
    15796488, 15830871, 15864658, 15897848, 15930439, 15962431, 15993821, 16024610,
    16054795, 16084375, 16113350, 16141719, 16169479, 16196631, 16223173, 16249104,
    16274424, 16299131, 16323224, 16346702, 16369565, 16391812, 16413442, 16434454,
    16454846, 16474620, 16493773, 16512305, 16530216, 16547504, 16564169, 16580211,
    16595628, 16610420, 16624588, 16638129, 16651044, 16663331, 16674992, 16686025,
    16696429, 16706205, 16715352, 16723869, 16731757, 16739015, 16745643, 16751640,
    16757007, 16761743, 16765847, 16769321, 16772163, 16774374, 16775953, 16776900,
    16777216,
};

static const int32_t atan_q24[257] = {
    0, 10430, 20860, 31290, 41718, 52145, 62571, 72994,
    83416, 93835, 104251, 114664, 125073, 135479, 145880, 156277,
    166669, 177056, 187438, 197815, 208185, 218549, 228906, 239256,
    249600, 259935, 270263, 280583, 290894, 301197, 311491, 321775,
    332050, 342315, 352570, 362814, 373047, 383270, 393481, 403681,
    413869, 424044, 434208, 444358, 454496, 464620, 474731, 484829,
    494912, 504981, 515035, 525075, 535100, 545109, 555103, 565081,
    575043, 584989, 594918, 604831, 614727, 624606, 634467, 644311,
    654136, 663944, 673734, 683505, 693257, 702990, 712705, 722400,
    732076, 741732, 751368, 760984, 770579, 780155, 789709, 799243,
    808756, 818248, 827718, 837168, 846595, 856001, 865384, 874746,
    884085, 893402, 902696, 911968, 921217, 930443, 939645, 948825,
    957981, 967114, 976223, 985308, 994370, 1003407, 1012421, 1021410,
    1030375, 1039316, 1048232, 1057123, 1065990, 1074832, 1083649, 1092442,
    1101209, 1109951, 1118668, 1127359, 1136026, 1144667, 1153282, 1161872,
    1170436, 1178975, 1187488, 1195975, 1204436, 1212871, 1221280, 1229664,
    1238021, 1246352, 1254658, 1262937, 1271189, 1279416, 1287616, 1295790,
    1303938, 1312059, 1320154, 1328223, 1336265, 1344281, 1352271, 1360234,
    1368170, 1376081, 1383964, 1391822, 1399652, 1407457, 1415234, 1422986,
    1430711, 1438409, 1446081, 1453727, 1461346, 1468939, 1476505, 1484045,
    1491559, 1499046, 1506507, 1513942, 1521350, 1528733, 1536089, 1543419,
    1550722, 1558000, 1565251, 1572477, 1579676, 1586849, 1593997, 1601118,
    1608214, 1615284, 1622328, 1629346, 1636338, 1643305, 1650246, 1657162,
    1664052, 1670917, 1677757, 1684570, 1691359, 1698123, 1704861, 1711574,
    1718262, 1724925, 1731563, 1738176, 1744764, 1751327, 1757866, 1764380,
    1770869, 1777334, 1783774, 1790190, 1796582, 1802949, 1809292, 1815611,
    1821906, 1828177, 1834423, 1840646, 1846846, 1853021, 1859173, 1865301,
    1871405, 1877486, 1883544, 1889578, 1895590, 1901578, 1907542, 1913484,
    1919403, 1925299, 1931173, 1937023, 1942851, 1948656, 1954439, 1960199,
    1965938, 1971653, 1977347, 1983018, 1988668, 1994295, 1999901, 2005485,
    2011047, 2016588, 2022107, 2027604, 2033080, 2038535, 2043968, 2049381,
    2054772, 2060142, 2065491, 2070820, 2076127, 2081414, 2086681, 2091927,
    2097152,
};

/* int64 to int32, saturating. */
static int32_t sat32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

fx fx_from_int(int32_t n)
{
    return sat32((int64_t)n * FX_ONE);
}

/* >> on a negative signed integer is implementation-defined in C11; gcc and clang (the
 * only compilers that build envs, native and wasm32) define it as arithmetic, i.e. floor
 * division by a power of two, and the determinism check would catch any other. */
int32_t fx_floor(fx a)
{
    return a >> FX_SHIFT;
}

int32_t fx_round(fx a)
{
    return (int32_t)(((int64_t)a + FX_HALF) >> FX_SHIFT);
}

fx fx_mul(fx a, fx b)
{
    return sat32(((int64_t)a * b + FX_HALF) >> FX_SHIFT);
}

fx fx_div(fx a, fx b)
{
    if (b == 0)
        return a > 0 ? FX_MAX : a < 0 ? FX_MIN : 0;
    int64_t n = (int64_t)a * FX_ONE; /* not a << 16: shifting a negative value is undefined */
    int64_t q = n / b, r = n % b;    /* C truncates towards zero */
    int64_t ar = r < 0 ? -r : r, ab = b < 0 ? -(int64_t)b : b;
    if (2 * ar >= ab)
        q += (n < 0) == (b < 0) ? 1 : -1;
    return sat32(q);
}

uint64_t fx_isqrt64(uint64_t v)
{
    /* digit by digit, two bits at a time: exact, no division, no float */
    uint64_t r = 0, bit = 1ull << 62;
    while (bit > v)
        bit >>= 2;
    while (bit) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
}

/* The nearest integer to sqrt(v): floor, plus one when v lies above (r + 1/2)^2. Since v
 * is an integer, v > r*r + r + 1/4 is v > r*r + r. */
static uint64_t sqrt_nearest(uint64_t v)
{
    uint64_t r = fx_isqrt64(v);
    return v - r * r > r ? r + 1 : r;
}

fx fx_sqrt(fx a)
{
    if (a <= 0)
        return 0;
    return (fx)sqrt_nearest((uint64_t)a << FX_SHIFT); /* below 2^24: no saturation needed */
}

fx fx_hypot(fx x, fx y)
{
    /* |x|, |y| <= 2^31, so x*x + y*y <= 2^63: fits in uint64 */
    uint64_t ax = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
    uint64_t ay = y < 0 ? (uint64_t)0 - (uint64_t)y : (uint64_t)y;
    uint64_t r = sqrt_nearest(ax * ax + ay * ay);
    return r > INT32_MAX ? FX_MAX : (fx)r;
}

/* sin of x in 0 .. a quarter turn (0..16384), in Q8.24: 64 angle units per table step. */
static int64_t quarter_sin_q24(uint32_t x)
{
    uint32_t i = x >> 6, frac = x & 63;
    if (i >= 256)
        return sin_q24[256];
    return sin_q24[i] + (((int64_t)(sin_q24[i + 1] - sin_q24[i]) * frac) >> 6);
}

fx fx_sin(fx_angle a)
{
    uint32_t u = (uint32_t)a & (FX_TURN - 1); /* modulo one turn, without signed overflow */
    uint32_t quarter = u >> 14, x = u & (FX_QUARTER_TURN - 1);
    int64_t v = quarter & 1 ? quarter_sin_q24(FX_QUARTER_TURN - x) : quarter_sin_q24(x);
    fx r = (fx)((v + 128) >> 8);
    return quarter >= 2 ? -r : r;
}

fx fx_cos(fx_angle a)
{
    return fx_sin((fx_angle)(((uint32_t)a + FX_QUARTER_TURN) & (FX_TURN - 1)));
}

/* atan(r / 65536) for r in 0..65536 (a ratio of at most 1), in 1/2^24 turn. */
static int64_t atan_ratio_q24(uint64_t r)
{
    uint32_t i = (uint32_t)(r >> 8), frac = (uint32_t)(r & 255);
    if (i >= 256)
        return atan_q24[256];
    return atan_q24[i] + (((int64_t)(atan_q24[i + 1] - atan_q24[i]) * frac) >> 8);
}

fx_angle fx_atan2(int32_t y, int32_t x)
{
    if (x == 0 && y == 0)
        return 0;
    uint64_t ax = x < 0 ? (uint64_t)0 - (uint64_t)(int64_t)x : (uint64_t)x;
    uint64_t ay = y < 0 ? (uint64_t)0 - (uint64_t)(int64_t)y : (uint64_t)y;
    /* the first octant by the smaller over the larger, then mirrored into place */
    int64_t base;
    if (ay <= ax)
        base = atan_ratio_q24((ay << 16) / ax);
    else
        base = ((int64_t)FX_QUARTER_TURN << 8) - atan_ratio_q24((ax << 16) / ay);
    if (x < 0)
        base = ((int64_t)FX_HALF_TURN << 8) - base;
    fx_angle r = (fx_angle)((base + 128) >> 8);
    return y < 0 ? -r : r;
}

#define GOLDEN_GAMMA 0x9E3779B97F4A7C15ull

uint64_t fx_splitmix64(uint64_t x)
{
    x += GOLDEN_GAMMA;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

uint64_t fx_rng_next(uint64_t *state)
{
    uint64_t x = *state;
    *state = x + GOLDEN_GAMMA;
    return fx_splitmix64(x);
}

uint32_t fx_rng_u32(uint64_t *state)
{
    return (uint32_t)(fx_rng_next(state) >> 32);
}

uint32_t fx_rng_below(uint64_t *state, uint32_t n)
{
    if (n == 0)
        return 0;
    uint64_t m = (uint64_t)fx_rng_u32(state) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(0u - n) % n; /* 2^32 mod n */
        while (low < threshold) {
            m = (uint64_t)fx_rng_u32(state) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

int32_t fx_rng_range(uint64_t *state, int32_t lo, int32_t hi)
{
    if (hi <= lo)
        return lo;
    uint64_t span = (uint64_t)((int64_t)hi - lo) + 1; /* 1 .. 2^32 */
    uint32_t off = span > UINT32_MAX ? fx_rng_u32(state) : fx_rng_below(state, (uint32_t)span);
    return (int32_t)((int64_t)lo + off);
}

fx fx_rng_unit(uint64_t *state)
{
    return (fx)(fx_rng_next(state) >> 48);
}
