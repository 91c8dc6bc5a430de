/*
 * systemd readiness protocol (sd_notify(3)) without libsystemd: one
 * datagram "READY=1", "RELOADING=1", "STOPPING=1", "WATCHDOG=1" ... to the
 * unix socket named by $NOTIFY_SOCKET ('@' = abstract namespace).
 */
#ifndef HIKE_CORE_NOTIFY_H
#define HIKE_CORE_NOTIFY_H

#include <stdint.h>

/* 0 when sent or when there is no $NOTIFY_SOCKET (not under systemd);
 * -errno otherwise.  state is "KEY=VALUE" lines separated by '\n'. */
int notify_send(const char *state);

/* The watchdog interval in ms that systemd expects pings within
 * ($WATCHDOG_USEC, only if $WATCHDOG_PID is unset or ours); 0 = none. */
uint64_t notify_watchdog_ms(void);

#endif
