/*
 * rumpclient_prog: a remote rump kernel client in C99, linked with
 * librumpclient only (run by rumpclient_e2e_test against real rump_server
 * processes; RUMP_SERVER is set by the test). One scenario per argument:
 *
 *   init          rumpclient_init(); prints "init <rv> <errno>"
 *   basic         getpid/ppid, socket(), SIOCIFCREATE shmif0 + SIOCGIFFLAGS
 *                 (copyin and copyout), kern.ostype / kern.hostname looked
 *                 up by name with CTL_QUERY, an error return
 *   threads       four nanosleeps of an hour blocked while eight threads make
 *                 quick calls on the one connection (waits for SIGUSR1 from
 *                 the test in between)
 *   sleep         prints "sleeping", then an hour's nanosleep (the test kills
 *                 the server meanwhile); prints how it ended
 *   fork          rumpclient_fork(): the child is a new kernel process with
 *                 the parent's descriptors and resource limits
 *   vfork         rumpclient_vfork() + rumpclient_exec() of "vfork-child"
 *   exec          rumpclient_exec() of "exec-child": same pid, descriptors
 *                 without close-on-exec kept, the others closed
 *   daemon        rumpclient_daemon(1, 0); the daemon writes what it sees to
 *                 ./daemon.out (its stdout is /dev/null)
 *   block         binds a UDP socket to 127.0.0.1, prints "blocked <pid>"
 *                 and waits in recvfrom for a datagram nobody sends (the
 *                 test kills this client meanwhile)
 *   reboot        reboot(2) with RB_AUTOBOOT: prints "reboot <rv> <errno>"
 *   signal        binds a UDP socket to 127.0.0.1, prints "blocked port <n>"
 *                 and waits in recvfrom; SIGUSR2 (a handler without
 *                 SA_RESTART, which makes a remote call itself) must
 *                 interrupt it with EINTR. Then "blocked
 *                 again": SIGWINCH (a handler with SA_RESTART) must not,
 *                 and the datagram the test sends ends the wait
 *   send PORT     sends "hello" to 127.0.0.1:PORT, prints "sent <n> <errno>"
 *
 * Every line of output is "<what> ..."; failures print "FAIL: ..." and exit 1.
 * As NetBSD says clients must, it defines the NetBSD structures it uses.
 */
#define _DEFAULT_SOURCE 1 /* vfork, nanosleep, pthreads with -std=c99 */

#include <rump/rump_syscalls.h>
#include <rump/rumpclient.h>
#include <rump/rumpdefs.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#ifdef __SANITIZE_THREAD__
/* libzmq is not built with ThreadSanitizer (see sp/transport). */
const char *__tsan_default_suppressions(void);
const char *
__tsan_default_suppressions(void)
{
	return "called_from_lib:libzmq.so\n";
}
#endif

/* ---- NetBSD layouts (rump/abi/) ---------------------------------------- */

struct nb_ifreq { /* 144 bytes */
	char ifr_name[16];
	union {
		short ifru_flags;
		uint8_t ifru_space[128];
		void *ifru_data;
	} ifr_ifru;
};

struct nb_sysctlnode { /* 96 bytes */
	uint32_t sysctl_flags;
	int32_t sysctl_num;
	char sysctl_name[32];
	uint32_t sysctl_ver;
	uint32_t rsvd;
	uint8_t sysctl_un[16];
	uint64_t sysctl_size;
	uint64_t sysctl_func;
	uint64_t sysctl_parent;
	uint64_t sysctl_desc;
};

#define NB_SIOCIFCREATE _RUMP_IOW('i', 122, struct nb_ifreq)
#define NB_SIOCGIFFLAGS _RUMP_IOWR('i', 17, struct nb_ifreq)
#define NB_CTL_QUERY    (-2)
#define NB_SYSCTL_VERSION 0x01000000u
#define NB_SYS_getpid   20
#define NB_EAFNOSUPPORT 47
#define NB_EBADF        9
#define NB_CLOCK_MONOTONIC 3

struct nb_sockaddr_in { /* 16 bytes */
	uint8_t sin_len;
	uint8_t sin_family;
	uint16_t sin_port;
	uint32_t sin_addr;
	uint8_t sin_zero[8];
};

typedef char check_ifr[sizeof(struct nb_ifreq) == 144 ? 1 : -1];
typedef char check_sin[sizeof(struct nb_sockaddr_in) == 16 ? 1 : -1];
typedef char check_node[sizeof(struct nb_sysctlnode) == 96 ? 1 : -1];
typedef char check_create[NB_SIOCIFCREATE == 0x8090697aUL ? 1 : -1];

static void
fail(const char *what, int error)
{
	printf("FAIL: %s: errno %d\n", what, error);
	fflush(stdout);
	exit(1);
}

static void
init_or_die(void)
{
	if (rumpclient_init() == -1)
		fail("rumpclient_init", errno);
}

/* pid and parent pid, as getpid's two return registers carry them. */
static void
getpids(long *pid, long *ppid)
{
	long rv[2] = {0, 0};
	int error = rumpclient_syscall(NB_SYS_getpid, NULL, 0, rv);
	if (error != 0)
		fail("rumpclient_syscall(getpid)", error);
	*pid = rv[0];
	*ppid = rv[1];
	if (rump_sys_getpid() != (pid_t)rv[0])
		fail("rump_sys_getpid disagrees", 0);
}

/* Resolves a dotted name with CTL_QUERY, level by level; returns its depth. */
static int
sysctl_resolve(const char *name, int *mib, int maxdepth)
{
	char buf[128];
	char *part, *save = NULL;
	int depth = 0;

	snprintf(buf, sizeof(buf), "%s", name);
	for (part = strtok_r(buf, ".", &save); part != NULL; part = strtok_r(NULL, ".", &save)) {
		struct nb_sysctlnode query, *nodes;
		size_t len = 0, i, n;
		int found = 0;

		if (depth + 1 >= maxdepth)
			return -1;
		memset(&query, 0, sizeof(query));
		query.sysctl_flags = NB_SYSCTL_VERSION;
		mib[depth] = NB_CTL_QUERY;
		if (rump_sys___sysctl(mib, (unsigned)depth + 1, NULL, &len, &query,
		    sizeof(query)) == -1)
			fail("CTL_QUERY size", errno);
		nodes = malloc(len);
		if (nodes == NULL)
			fail("malloc", ENOMEM);
		if (rump_sys___sysctl(mib, (unsigned)depth + 1, nodes, &len, &query,
		    sizeof(query)) == -1)
			fail("CTL_QUERY", errno);
		n = len / sizeof(*nodes);
		for (i = 0; i < n; i++) {
			if (strncmp(nodes[i].sysctl_name, part, sizeof(nodes[i].sysctl_name)) == 0) {
				mib[depth] = nodes[i].sysctl_num;
				found = 1;
				break;
			}
		}
		free(nodes);
		if (!found)
			return -1;
		depth++;
	}
	return depth;
}

static void
print_sysctl_string(const char *name)
{
	int mib[8], depth;
	char value[256];
	size_t len = sizeof(value);

	depth = sysctl_resolve(name, mib, 8);
	if (depth < 0)
		fail(name, 0);
	memset(value, 0, sizeof(value));
	if (rump_sys___sysctl(mib, (unsigned)depth, value, &len, NULL, 0) == -1)
		fail(name, errno);
	printf("sysctl %s=%s mib=%d.%d\n", name, value, mib[0], mib[1]);
}

static int
scenario_basic(void)
{
	long pid, ppid;
	int s, r;
	struct nb_ifreq ifr;

	init_or_die();
	getpids(&pid, &ppid);
	printf("pid %ld ppid %ld\n", pid, ppid);

	errno = 99;
	s = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
	if (s == -1)
		fail("socket", errno);
	printf("socket %d errno %d\n", s, errno);

	/* copyin of the name, interface created */
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "shmif0");
	if (rump_sys_ioctl(s, NB_SIOCIFCREATE, &ifr) == -1)
		fail("SIOCIFCREATE shmif0", errno);
	/* copyin and copyout */
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "shmif0");
	ifr.ifr_ifru.ifru_flags = 0x7777;
	if (rump_sys_ioctl(s, NB_SIOCGIFFLAGS, &ifr) == -1)
		fail("SIOCGIFFLAGS shmif0", errno);
	printf("shmif0 flags 0x%x\n", (unsigned)(unsigned short)ifr.ifr_ifru.ifru_flags);
	/* and lo0 exists from boot */
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo0");
	if (rump_sys_ioctl(s, NB_SIOCGIFFLAGS, &ifr) == -1)
		fail("SIOCGIFFLAGS lo0", errno);
	printf("lo0 flags 0x%x\n", (unsigned)(unsigned short)ifr.ifr_ifru.ifru_flags);

	print_sysctl_string("kern.ostype");
	print_sysctl_string("kern.hostname");

	/* An error: NetBSD's number, not Linux's. */
	r = rump_sys_socket(99, RUMP_SOCK_DGRAM, 0);
	printf("socket(99) %d errno %d\n", r, errno);
	if (rump_sys_close(s) == -1)
		fail("close", errno);
	r = rump_sys_close(s);
	printf("close again %d errno %d\n", r, errno);
	return 0;
}

/* ---- threads ------------------------------------------------------------ */

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
sleeper(void *arg)
{
	/* an hour: only the end of the program ends it */
	struct timespec ts = {3600, 0}; /* NetBSD's timespec is the host's on x86-64 */
	(void)arg;
	rump_sys_nanosleep(&ts, NULL);
	return NULL;
}

static void *
worker(void *arg)
{
	int *calls = arg;
	int i;
	for (i = 0; i < 200; i++) {
		struct timespec tp;
		if (rump_sys_clock_gettime(NB_CLOCK_MONOTONIC, &tp) == -1)
			fail("clock_gettime", errno);
		if (rump_sys_getpid() < 2)
			fail("getpid", errno);
		*calls += 2;
	}
	return NULL;
}

/*
 * Four threads asleep in the kernel, then quick calls from eight more: the
 * quick calls must all complete while the four sleep (they never end by
 * themselves). The test confirms with the server's status line that four
 * calls sleep at once before it sends SIGUSR1 to let the workers go.
 */
static int
scenario_threads(void)
{
	pthread_t sleepers[4], workers[8];
	int results[8];
	sigset_t usr1;
	int i, sig, calls = 0;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL); /* inherited by every thread */
	init_or_die();
	for (i = 0; i < 4; i++)
		pthread_create(&sleepers[i], NULL, sleeper, NULL);
	printf("sleepers started\n");
	fflush(stdout);
	if (sigwait(&usr1, &sig) != 0)
		fail("sigwait", errno);
	memset(results, 0, sizeof(results));
	for (i = 0; i < 8; i++)
		pthread_create(&workers[i], NULL, worker, &results[i]);
	for (i = 0; i < 8; i++) {
		pthread_join(workers[i], NULL);
		calls += results[i];
	}
	printf("threads %d calls while 4 threads slept\n", calls);
	fflush(stdout);
	/* the sleepers are still in the kernel: leaving ends their calls */
	exit(0);
}

/* ---- sleep / block / reboot --------------------------------------------- */

static int
scenario_sleep(void)
{
	struct timespec ts = {3600, 0};
	double start;
	int r, e;

	init_or_die();
	printf("sleeping\n");
	fflush(stdout);
	start = now();
	r = rump_sys_nanosleep(&ts, NULL);
	e = errno;
	printf("nanosleep %d errno %d after %.1f s\n", r, e, now() - start);
	errno = 0;
	r = rump_sys_getpid();
	printf("getpid %d errno %d\n", r, errno);
	return 0;
}

/* A UDP socket bound to 127.0.0.1:port (0: any port). */
static int
udp_socket_on_loopback(int port)
{
	struct nb_sockaddr_in sin;
	int s;

	s = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
	if (s == -1)
		fail("socket", errno);
	memset(&sin, 0, sizeof(sin));
	sin.sin_len = sizeof(sin);
	sin.sin_family = RUMP_AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr = htonl(0x7f000001);
	if (rump_sys_bind(s, (const struct sockaddr *)&sin, sizeof(sin)) == -1)
		fail("bind", errno);
	return s;
}

static int
scenario_block(void)
{
	char buf[64];
	long pid, ppid;
	int s;

	init_or_die();
	getpids(&pid, &ppid);
	s = udp_socket_on_loopback(0);
	printf("blocked %ld\n", pid);
	fflush(stdout);
	rump_sys_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL);
	printf("woke up\n");
	return 0;
}

/* ---- signals ------------------------------------------------------------ */

static volatile sig_atomic_t usr2_seen, winch_seen;

/* Makes a remote call of its own: it runs inside the interrupted call's
 * wait, on the thread that reads the connection. 1 when it worked. */
static void
on_usr2(int sig)
{
	(void)sig;
	usr2_seen = rump_sys_getpid() > 1 ? 1 : 2;
}

static void
on_winch(int sig)
{
	(void)sig;
	winch_seen = 1;
}

static int
scenario_signal(void)
{
	struct sigaction sa;
	struct nb_sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char buf[64];
	ssize_t n;
	int s, e;

	init_or_die();
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_usr2; /* no SA_RESTART: interrupts a blocked call */
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = on_winch;
	sa.sa_flags = SA_RESTART; /* the call goes on */
	sigaction(SIGWINCH, &sa, NULL);
	s = udp_socket_on_loopback(0);
	if (rump_sys_getsockname(s, (struct sockaddr *)&sin, &len) == -1)
		fail("getsockname", errno);
	printf("blocked port %d\n", ntohs(sin.sin_port));
	fflush(stdout);
	n = rump_sys_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL);
	e = errno;
	printf("recvfrom %d errno %d usr2 %d\n", (int)n, n < 0 ? e : 0, (int)usr2_seen);
	printf("blocked again\n");
	fflush(stdout);
	n = rump_sys_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL);
	e = errno;
	printf("recvfrom %d errno %d winch %d\n", (int)n, n < 0 ? e : 0, (int)winch_seen);
	printf("getpid ok %d\n", rump_sys_getpid() > 1);
	return 0;
}

static int
scenario_send(int port)
{
	struct nb_sockaddr_in to;
	ssize_t n;
	int s;

	init_or_die();
	s = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
	if (s == -1)
		fail("socket", errno);
	memset(&to, 0, sizeof(to));
	to.sin_len = sizeof(to);
	to.sin_family = RUMP_AF_INET;
	to.sin_port = htons((uint16_t)port);
	to.sin_addr = htonl(0x7f000001);
	n = rump_sys_sendto(s, "hello", 5, 0, (const struct sockaddr *)&to, sizeof(to));
	printf("sent %d %d\n", (int)n, n < 0 ? errno : 0);
	return 0;
}

static int
scenario_reboot(void)
{
	int r;

	init_or_die();
	errno = 0;
	r = rump_sys_reboot(0, NULL);
	printf("reboot %d %d\n", r, r == 0 ? 0 : errno);
	return 0;
}

/* ---- fork, vfork, exec -------------------------------------------------- */

/* NetBSD's struct rlimit; RLIMIT_CORE is 4. */
struct nb_rlimit {
	uint64_t rlim_cur, rlim_max;
};
#define NB_RLIMIT_CORE 4

static int
scenario_fork(void)
{
	long pid, ppid, cpid, cppid;
	int s, status;
	pid_t child;
	struct nb_rlimit core = {0, 4096};

	init_or_die();
	getpids(&pid, &ppid);
	s = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
	if (s == -1)
		fail("socket", errno);
	/* a limit the child must inherit */
	if (rump_sys_setrlimit(NB_RLIMIT_CORE, (const struct rlimit *)&core) == -1)
		fail("setrlimit", errno);
	fflush(stdout);
	child = rumpclient_fork();
	if (child == -1)
		fail("rumpclient_fork", errno);
	if (child == 0) {
		int s2;
		getpids(&cpid, &cppid);
		/* the parent's descriptor is here: closing it works, once */
		s2 = rump_sys_dup(s);
		printf("child pid %ld ppid %ld dup(%d) %d\n", cpid, cppid, s, s2);
		if (s2 == -1 || rump_sys_close(s) == -1)
			fail("child: the parent's socket is missing", errno);
		core.rlim_cur = core.rlim_max = 1;
		if (rump_sys_getrlimit(NB_RLIMIT_CORE, (struct rlimit *)&core) == -1)
			fail("child: getrlimit", errno);
		printf("child core limit %llu %llu\n", (unsigned long long)core.rlim_cur,
		    (unsigned long long)core.rlim_max);
		if (core.rlim_cur != 0 || core.rlim_max != 4096)
			fail("child: the parent's limit is missing", 0);
		fflush(stdout);
		_exit(cpid != pid ? 0 : 2);
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail("child failed", status);
	/* the parent's connection and descriptor are unchanged */
	getpids(&cpid, &cppid);
	if (cpid != pid || rump_sys_close(s) == -1)
		fail("parent after fork", errno);
	printf("parent pid %ld still, socket %d kept\n", pid, s);
	return 0;
}

static int
scenario_vfork(const char *self)
{
	long pid, ppid, after, afterp;
	int status;
	pid_t child;
	char pidbuf[32];
	char *args[4];

	init_or_die();
	getpids(&pid, &ppid);
	snprintf(pidbuf, sizeof(pidbuf), "%ld", pid);
	args[0] = (char *)self;
	args[1] = (char *)"vfork-child";
	args[2] = pidbuf;
	args[3] = NULL;
	fflush(stdout);
	child = rumpclient_vfork();
	if (child == 0) {
		rumpclient_exec(self, args, environ);
		_exit(127);
	}
	if (child == -1)
		fail("rumpclient_vfork", errno);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail("vfork child failed", status);
	getpids(&after, &afterp);
	if (after != pid)
		fail("parent state not restored after vfork", 0);
	printf("parent pid %ld after vfork\n", after);
	return 0;
}

static int
scenario_vfork_child(long parent)
{
	long pid, ppid;
	init_or_die();
	getpids(&pid, &ppid);
	printf("vfork child pid %ld ppid %ld (parent %ld)\n", pid, ppid, parent);
	return pid != parent && ppid == 1 ? 0 : 1;
}

static int
scenario_exec(const char *self)
{
	long pid, ppid;
	int keep, gone;
	char a[32], b[32], c[32];
	char *args[6];

	init_or_die();
	getpids(&pid, &ppid);
	keep = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
	gone = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM | RUMP_SOCK_CLOEXEC, 0);
	if (keep == -1 || gone == -1)
		fail("socket", errno);
	snprintf(a, sizeof(a), "%ld", pid);
	snprintf(b, sizeof(b), "%d", keep);
	snprintf(c, sizeof(c), "%d", gone);
	args[0] = (char *)self;
	args[1] = (char *)"exec-child";
	args[2] = a;
	args[3] = b;
	args[4] = c;
	args[5] = NULL;
	printf("exec from pid %ld with sockets %d and %d (close-on-exec)\n", pid, keep, gone);
	fflush(stdout);
	rumpclient_exec(self, args, environ);
	fail("rumpclient_exec", errno);
	return 1;
}

static int
scenario_exec_child(long oldpid, int keep, int gone)
{
	long pid, ppid;
	int r1, r2, e2;

	if (getenv("RUMPCLIENT__EXECFD") == NULL)
		fail("no RUMPCLIENT__EXECFD", 0);
	init_or_die();
	if (getenv("RUMPCLIENT__EXECFD") != NULL)
		fail("RUMPCLIENT__EXECFD still set", 0);
	getpids(&pid, &ppid);
	r1 = rump_sys_close(keep);
	r2 = rump_sys_close(gone);
	e2 = errno;
	printf("after exec pid %ld (was %ld) close(%d) %d close(%d) %d errno %d\n", pid, oldpid,
	    keep, r1, gone, r2, e2);
	return pid == oldpid && r1 == 0 && r2 == -1 && e2 == NB_EBADF ? 0 : 1;
}

static int
scenario_daemon(void)
{
	long pid, ppid, dpid, dppid;
	int s, d;
	FILE *f;

	init_or_die();
	getpids(&pid, &ppid);
	s = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
	if (s == -1)
		fail("socket", errno);
	printf("daemonizing pid %ld\n", pid);
	fflush(stdout);
	if (rumpclient_daemon(1, 0) == -1)
		fail("rumpclient_daemon", errno);
	/* the daemon: a forked kernel process with the parent's descriptors */
	getpids(&dpid, &dppid);
	d = rump_sys_dup(s);
	f = fopen("daemon.tmp", "w");
	if (f == NULL)
		return 1;
	fprintf(f, "daemon host %ld pid %ld ppid %ld parent %ld dup(%d) %d\n", (long)getpid(),
	    dpid, dppid, pid, s, d);
	fclose(f);
	rename("daemon.tmp", "daemon.out");
	return 0;
}

int
main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(what, "init") == 0) {
		int r = rumpclient_init();
		printf("init %d %d\n", r, r == 0 ? 0 : errno);
		return 0;
	}
	if (strcmp(what, "basic") == 0)
		return scenario_basic();
	if (strcmp(what, "threads") == 0)
		return scenario_threads();
	if (strcmp(what, "sleep") == 0)
		return scenario_sleep();
	if (strcmp(what, "block") == 0)
		return scenario_block();
	if (strcmp(what, "reboot") == 0)
		return scenario_reboot();
	if (strcmp(what, "signal") == 0)
		return scenario_signal();
	if (strcmp(what, "send") == 0 && argc == 3)
		return scenario_send(atoi(argv[2]));
	if (strcmp(what, "fork") == 0)
		return scenario_fork();
	if (strcmp(what, "vfork") == 0)
		return scenario_vfork(argv[0]);
	if (strcmp(what, "vfork-child") == 0 && argc == 3)
		return scenario_vfork_child(atol(argv[2]));
	if (strcmp(what, "exec") == 0)
		return scenario_exec(argv[0]);
	if (strcmp(what, "daemon") == 0)
		return scenario_daemon();
	if (strcmp(what, "exec-child") == 0 && argc == 5)
		return scenario_exec_child(atol(argv[2]), atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: rumpclient_prog init|basic|threads|sleep|block|reboot|fork|vfork|exec|daemon|signal|send PORT\n");
	return 2;
}
