/* HTML output shared by the status page and the static reference site. */
#ifndef SW_HTTP_HTTP_HTML_H
#define SW_HTTP_HTTP_HTML_H

#include <stddef.h>
#include <stdio.h>

/** Writes s[0..n) with the five HTML special characters escaped. */
void http_html_escape(FILE *f, const char *s, size_t n);

#endif
