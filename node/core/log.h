/*
 * Logging: one line per event.  Lines about an IKE SA carry its tag,
 * "[ike 12 peer 192.0.2.50]", via the ike_sa_log() helpers in sa/.  Output
 * goes to stderr (with a timestamp) or syslog.  Each line is prefixed with
 * the node name when several nodes share a process (tests).
 */
#ifndef HIKE_CORE_LOG_H
#define HIKE_CORE_LOG_H

#include <stdarg.h>

enum log_level { LOG_ERR_ = 0, LOG_WARN_ = 1, LOG_INFO_ = 2, LOG_DEBUG_ = 3, LOG_TRACE_ = 4 };

struct log {
	int level;		/* lines above this level are dropped */
	int use_syslog;
	const char *node;	/* prefix, may be NULL */
};

/* "ERR", "WARN", "INFO", "DEBUG", "TRACE". */
const char *log_level_name(int level);
/* Those names (any case), "error", "warning", or a digit 0-4; -1 if none. */
int log_level_parse(const char *s);

/* lg may be NULL: INFO and above to stderr. */
void log_msg(const struct log *lg, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vmsg(const struct log *lg, int level, const char *fmt, va_list ap);

#define log_err(lg, ...)   log_msg((lg), LOG_ERR_, __VA_ARGS__)
#define log_warn(lg, ...)  log_msg((lg), LOG_WARN_, __VA_ARGS__)
#define log_info(lg, ...)  log_msg((lg), LOG_INFO_, __VA_ARGS__)
#define log_debug(lg, ...) log_msg((lg), LOG_DEBUG_, __VA_ARGS__)
#define log_trace(lg, ...) log_msg((lg), LOG_TRACE_, __VA_ARGS__)

#endif
