// libzmq is not built with ThreadSanitizer: its threads hand messages to
// ours through atomics TSan cannot see, and then free them. Ignore what the
// library does itself (our own code stays checked). With CURVE, libzmq's
// I/O thread decrypts messages with libsodium, whose writes into the
// message buffer TSan sees without the hand-over: libsodium likewise. The
// same holds for what libzmq allocates on its I/O thread and hands over
// (a CURVE connection's "User-Id" property, read with zmq_msg_gets): a race
// report with a libzmq frame in either access's stack is ignored. TSan
// reads this hook from the executable, so the library that defines it is
// linked statically into every program that links the listener
// (BUILD.bazel).
extern "C" const char* __tsan_default_suppressions() {
  return "called_from_lib:libzmq.so\ncalled_from_lib:libsodium.so\nrace:libzmq.so\n";
}
