/*
 * The cost the hijack library adds to a remote call: the same call,
 * fcntl(F_GETFL) on a kernel UDP socket, made N times through
 * librumphijack (plain libc calls, LD_PRELOAD-ed) or, built with
 * -DDIRECT, through librumpclient's rump_sys_fcntl. Prints the median,
 * p99 and average in microseconds. Used by hijack_bench.sh.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#ifdef DIRECT
#include <rump/rump_syscalls.h>
#include <rump/rumpclient.h>
#define SOCKET(d, t, p) rump_sys_socket(d, t, p)
#define GETFL(fd) rump_sys_fcntl(fd, F_GETFL)
static const char *const kind = "librumpclient";
#else
#define SOCKET(d, t, p) socket(d, t, p)
#define GETFL(fd) fcntl(fd, F_GETFL)
static const char *const kind = "librumphijack";
#endif

static int cmp(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  const int n = argc > 1 ? atoi(argv[1]) : 20000;
  double *t;
  double sum = 0;
  int fd, i;
#ifdef DIRECT
  if (rumpclient_init() == -1) {
    perror("rumpclient_init");
    return 1;
  }
#endif
  fd = SOCKET(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || n <= 0) {
    perror("socket");
    return 1;
  }
  t = malloc(sizeof(*t) * (size_t)n);
  for (i = 0; i < 1000; i++) GETFL(fd); /* warm up */
  for (i = 0; i < n; i++) {
    const double start = now_us();
    if (GETFL(fd) < 0) {
      perror("fcntl");
      return 1;
    }
    t[i] = now_us() - start;
    sum += t[i];
  }
  qsort(t, (size_t)n, sizeof(*t), cmp);
  printf("%-14s fcntl(F_GETFL) x %d: median %.2f us, p99 %.2f us, average %.2f us\n", kind, n,
         t[n / 2], t[n * 99 / 100], sum / n);
  free(t);
  return 0;
}
