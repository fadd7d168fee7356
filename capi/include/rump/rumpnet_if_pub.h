/*
 * <rump/rumpnet_if_pub.h>: the network's public component interface,
 * included by <rump/rump.h>.
 *
 * C99 and C++; C types only.
 */
#ifndef RUMP_RUMPNET_IF_PUB_H_
#define RUMP_RUMPNET_IF_PUB_H_

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Creates interface shmif<N>, N the lowest free unit, and stores N in
 * *ifnum (when ifnum is not NULL). With a `path` it attaches to that bus
 * file (created, or extended to a bus, if needed); with NULL it has no bus
 * until `ifconfig shmifN linkstr PATH`. Returns 0 or a NetBSD errno (not
 * -1): ENOEXEC when `path` is not a bus, ENXIO before rump_init().
 */
int rump_pub_shmif_create(const char *path, int *ifnum);

#ifdef __cplusplus
}
#endif

#endif /* RUMP_RUMPNET_IF_PUB_H_ */
