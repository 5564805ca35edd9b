#include "screen.h"

#include <jansson.h>
#include <stdio.h>

#include "../texts/texts.h"
#include "../texts/texts_fill.h"

bool screen_required(const require_spec *r)
{
    return r->desktop || r->keyboard || r->min_width > 0 || r->min_height > 0;
}

/* What each requirement accepts, and why that much (docs/EXPERIMENTS.md says the same to
 * researchers):
 *  - desktop: the user agent does not say phone or tablet, and the primary pointer is not
 *    a finger. The second half catches tablets whose browser asks for desktop pages
 *    (iPadOS Safari calls itself a Mac; the page reports it as mobile when a "Mac" has
 *    touch points, but Windows tablets and Android tablets in desktop mode say nothing).
 *    A touchscreen laptop passes: its primary pointer is its trackpad.
 *  - keyboard: no browser tells whether a keyboard is attached. A primary pointer that is
 *    fine and can hover (a mouse or a trackpad) is the best sign there is: laptops and
 *    desktops have both. Touch-first devices, whose keyboard is usually on screen, fail.
 *  - min_window: the window's inner size in CSS pixels, as the page's layout sees it
 *    (zooming out makes it larger, which is what the game's layout needs too). */
static bool is_desktop(const device_facts *d) { return !d->mobile && d->pointer != POINTER_COARSE; }
static bool has_keyboard(const device_facts *d) { return d->pointer == POINTER_FINE && d->hover; }

outcome_reason screen_device(const require_spec *r, const device_facts *d)
{
    bool known = d->present;
    if (r->desktop && !(known && is_desktop(d)))
        return REASON_NOT_DESKTOP;
    if (r->keyboard && !(known && has_keyboard(d)))
        return REASON_NO_KEYBOARD;
    if ((r->min_width > 0 || r->min_height > 0) &&
        !(known && d->width >= r->min_width && d->height >= r->min_height))
        return REASON_SMALL_WINDOW;
    return REASON_NONE;
}

char *screen_detail(const require_spec *r, const device_facts *d, outcome_reason why,
                    int attempt)
{
    json_t *need = json_pack("{s:b, s:b, s:i, s:i}", "desktop", r->desktop, "keyboard",
                             r->keyboard, "min_width", r->min_width, "min_height",
                             r->min_height);
    json_t *device = d->present
                         ? json_pack("{s:i, s:i, s:b, s:s, s:b, s:i}", "width", d->width,
                                     "height", d->height, "mobile", d->mobile, "pointer",
                                     pointer_kind_name(d->pointer), "hover", d->hover,
                                     "touch_points", d->touch_points)
                         : json_null();
    json_t *all = json_pack("{s:s, s:o, s:o, s:i}", "verdict",
                            why == REASON_NONE ? "passed" : outcome_reason_name(why),
                            "require", need, "device", device, "attempt", attempt);
    char *text = all ? json_dumps(all, JSON_COMPACT) : NULL;
    json_decref(all);
    return text;
}

void screen_message(const experiment *x, outcome_reason why, int width, int height, char *out,
                    size_t cap)
{
    char min_w[16], min_h[16], w[16], h[16];
    snprintf(min_w, sizeof min_w, "%d", x->require.min_width);
    snprintf(min_h, sizeof min_h, "%d", x->require.min_height);
    snprintf(w, sizeof w, "%d", width);
    snprintf(h, sizeof h, "%d", height);
    if (width < 0 || height < 0) /* the page said nothing about its window */
        snprintf(w, sizeof w, "?"), snprintf(h, sizeof h, "?");
    const text_value values[] = {
        {"min_width", min_w}, {"min_height", min_h}, {"width", w}, {"height", h}};
    texts_fill(texts_for(x, texts_end_message(OUTCOME_SCREENED_OUT, why)), values,
               (int)(sizeof values / sizeof values[0]), out, cap);
}
