/*
 * isolated_metrics - an isolated plugin's own metrics, read from its
 * child process for the host's /metrics.
 *
 * A child (`isolation = process`, supervisor.h) counts its plugin's work
 * queue, reconciles and events in its own memory. It serves them on a
 * loopback port of its own and says where in its log ("health and
 * metrics on http://ADDR"), which the supervisor remembers. At each
 * scrape of the host the text is fetched (plain HTTP, loopback, bounded
 * in time and size) and only the plugin's own series are kept: those
 * labelled plugin="NAME", controller="NAME" or name="NAME" (its queue).
 * The child's reflectors and the like duplicate the host's and are
 * dropped. The caller merges the result into its own text (prom_merge.h).
 *
 * Threading: blocking; call it from the health thread, never holding a
 * lock others need. Ownership: the text returned is the caller's (free).
 */
#ifndef CPLANE_HOST_PLUGIN_ISOLATED_METRICS_H
#define CPLANE_HOST_PLUGIN_ISOLATED_METRICS_H

/* A child's text past this is cut (the rest dropped). */
#define CP_ISOLATED_METRICS_MAX (4u << 20)

/* The metrics of plugin `name` served at addr ("127.0.0.1:PORT"), or
 * NULL when the child does not answer 200 within timeout_ms (it may be
 * restarting) or memory runs out. */
char *cp_isolated_metrics_fetch(const char *addr, const char *name,
                                int timeout_ms);

/* Keeps the lines of text (in place) that are comments or samples of
 * plugin `name`, as above. Exposed for tests. */
void cp_isolated_metrics_filter(char *text, const char *name);

#endif /* CPLANE_HOST_PLUGIN_ISOLATED_METRICS_H */
