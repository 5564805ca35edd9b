/* The log cannot be forged or flooded: control characters are escaped, and a burst of
 * lines is cut to a bounded number with a count of what was dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/log.h"

static char path[] = "/tmp/cohort_log_XXXXXX";

/* Everything written to stderr during fn, as one string (caller frees). */
static char *captured(void (*fn)(void))
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size_t cap = 1 << 20, n = 0;
    char *text = calloc(1, cap);
    lseek(fd, 0, SEEK_SET);
    ssize_t got;
    while ((got = read(fd, text + n, cap - 1 - n)) > 0)
        n += (size_t)got;
    close(fd);
    unlink(path);
    memcpy(path + strlen(path) - 6, "XXXXXX", 6);
    return text;
}

static int count_lines(const char *text, const char *needle)
{
    int n = 0;
    for (const char *l = text; (l = strstr(l, needle)) != NULL; l++)
        n++;
    return n;
}

static void forged(void) { log_warn("peer said: %s", "ok\n2026-01-01T00:00:00.000Z error fake\x1b[2J"); }

static void control_characters_are_escaped(void **state)
{
    char *text = captured(forged);
    assert_int_equal(count_lines(text, "\n"), 1);
    assert_non_null(strstr(text, "ok\\n2026-01-01T00:00:00.000Z error fake\\x1b[2J"));
    free(text);
}

static void burst(void)
{
    for (int i = 0; i < 5000; i++)
        log_warn("flood line %d", i);
}
static void one_more(void) { log_warn("after the flood"); }

static void a_flood_of_lines_is_bounded_and_counted(void **state)
{
    char *text = captured(burst);
    int lines = count_lines(text, "\n");
    assert_true(lines >= 100);  /* a burst gets through... */
    assert_true(lines <= 260);  /* ...but not 5000 of them */
    free(text);
    sleep(1); /* the bucket refills at its rate, in real time: that is what is tested */
    text = captured(one_more);
    assert_non_null(strstr(text, "log lines suppressed"));
    assert_non_null(strstr(text, "after the flood"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(control_characters_are_escaped),
        cmocka_unit_test(a_flood_of_lines_is_bounded_and_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
