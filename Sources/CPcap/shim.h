#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

/* C's standard input stream, which pcap_open_offline("-") reads. A function rather than the
   `stdin` variable, which Swift's strict concurrency checking will not let code read. */
static inline FILE *phxtap_stdin(void) { return stdin; }

/* How many bytes `stream` holds read ahead in its buffer; -1 where the C library does not
   say (the two functions below then fall back to plain, waiting reads). */
static inline long phxtap_stream_buffered(FILE *stream) {
#if defined(__GLIBC__)
    return (long)(stream->_IO_read_end - stream->_IO_read_ptr);
#elif defined(__APPLE__)
    return stream->_r > 0 ? (long)stream->_r : 0;
#else
    return -1;
#endif
}

/* Whether reading `stream` now would wait: nothing left in its buffer and nothing ready on its
   descriptor. For a capture coming down a pipe (`tcpdump -U -w - | phxtap read -`), this is
   when what has been decoded so far should be shown rather than held for more. */
static inline int phxtap_stream_would_wait(FILE *stream) {
    if (phxtap_stream_buffered(stream) != 0) return 0;
    struct pollfd ready = { .fd = fileno(stream), .events = POLLIN, .revents = 0 };
    return poll(&ready, 1, 0) == 0;
}

/* Reads up to `size` bytes of `stream` without waiting for all of them: what its buffer holds,
   else what one read of its descriptor gives (waiting only while nothing at all has arrived).
   fread would wait for `size` bytes, and a transcript coming down a pipe from a live proxy
   would show nothing until a megabyte of it had come. Returns the count, 0 at the end, or -1
   with errno set. */
static inline long phxtap_read_some(FILE *stream, void *buffer, size_t size) {
    long buffered = phxtap_stream_buffered(stream);
    if (buffered != 0) {
        size_t wanted = buffered > 0 && (size_t)buffered < size ? (size_t)buffered : size;
        size_t got = fread(buffer, 1, wanted, stream);
        return got == 0 && ferror(stream) ? -1 : (long)got;
    }
    for (;;) {
        ssize_t got = read(fileno(stream), buffer, size);
        if (got >= 0 || errno != EINTR) return (long)got;
    }
}

/* For a long offline run: freed memory stays with the process instead of going back to the
   system after each batch. Every message's bytes are allocated on the reading thread and freed
   on the writing one, and glibc shrank and regrew the reading thread's heap about 1,300 times
   in a read of the benchmark capture (an mprotect each, and pages faulted in again). */
static inline void phxtap_keep_freed_memory(void) {
#if defined(__GLIBC__)
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_TOP_PAD, 16 << 20);
#endif
}
