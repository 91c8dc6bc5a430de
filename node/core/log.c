/*
 * One line per event.  The line is formatted into one buffer and written
 * with a single write(2), so lines from several threads never interleave.
 */
#include "core/log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 1024

static const char *const log_level_names[] = {
	[LOG_ERR_] = "ERR", [LOG_WARN_] = "WARN", [LOG_INFO_] = "INFO",
	[LOG_DEBUG_] = "DEBUG", [LOG_TRACE_] = "TRACE",
};

static const int log_syslog_prio[] = {
	[LOG_ERR_] = LOG_ERR, [LOG_WARN_] = LOG_WARNING, [LOG_INFO_] = LOG_INFO,
	[LOG_DEBUG_] = LOG_DEBUG, [LOG_TRACE_] = LOG_DEBUG,
};

const char *log_level_name(int level)
{
	if (level < LOG_ERR_ || level > LOG_TRACE_)
		return "?";
	return log_level_names[level];
}

int log_level_parse(const char *s)
{
	static const char *const alias[] = { "error", "warning", "info", "debug", "trace" };

	for (int i = LOG_ERR_; i <= LOG_TRACE_; i++) {
		if (strcasecmp(s, log_level_names[i]) == 0 || strcasecmp(s, alias[i]) == 0)
			return i;
	}
	if (s[0] >= '0' && s[0] <= '4' && s[1] == '\0')
		return s[0] - '0';
	return -1;
}

/* "2024-05-01T12:00:00.123Z INFO gw1: " */
static size_t log_prefix(const struct log *lg, int level, char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;
	int m;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	m = snprintf(buf + n, len - n, ".%03ldZ %s %s%s", ts.tv_nsec / 1000000L,
		     log_level_name(level), lg && lg->node ? lg->node : "",
		     lg && lg->node ? ": " : "");
	return m < 0 ? n : n + (size_t)m;
}

void log_vmsg(const struct log *lg, int level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t n = 0;
	int m;

	if (level > (lg ? lg->level : LOG_INFO_))
		return;
	if (level < LOG_ERR_)
		level = LOG_ERR_;
	if (level > LOG_TRACE_)
		level = LOG_TRACE_;
	if (lg && lg->use_syslog) {
		if (lg->node)
			n = (size_t)snprintf(line, sizeof(line), "%s: ", lg->node);
	} else {
		n = log_prefix(lg, level, line, sizeof(line));
	}
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (m > 0)
		n += (size_t)m;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;	/* truncated: still one line */
	if (lg && lg->use_syslog) {
		syslog(log_syslog_prio[level], "%s", line);
		return;
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return;		/* nowhere left to report it */
}

void log_msg(const struct log *lg, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lg, level, fmt, ap);
	va_end(ap);
}
