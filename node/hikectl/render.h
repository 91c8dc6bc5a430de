/* hikectl's human-readable renderings of control-socket results. */
#ifndef HIKE_HIKECTL_RENDER_H
#define HIKE_HIKECTL_RENDER_H

#include <jansson.h>

/* Each prints to stdout and returns the command's exit status. */
int hikectl_render_status(json_t *res);
int hikectl_render_sas(json_t *res);
int hikectl_render_metrics(json_t *res);
int hikectl_render_generic(json_t *res);

/* 0 healthy, 1 degraded, 2 down, from a status result. */
int hikectl_status_health(json_t *res);

#endif
