#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>

/* C's standard input stream, which pcap_open_offline("-") reads. A function rather than the
   `stdin` variable, which Swift's strict concurrency checking will not let code read. */
static inline FILE *phxtap_stdin(void) { return stdin; }

/* Whether reading `stream` now would wait: nothing left in its buffer and nothing ready on its
   descriptor. For a capture coming down a pipe (`tcpdump -U -w - | phxtap read -`), this is
   when what has been decoded so far should be shown rather than held for more. */
static inline int phxtap_stream_would_wait(FILE *stream) {
#if defined(__GLIBC__)
    if (stream->_IO_read_ptr < stream->_IO_read_end) return 0;
#elif defined(__APPLE__)
    if (stream->_r > 0) return 0;
#endif
    struct pollfd ready = { .fd = fileno(stream), .events = POLLIN, .revents = 0 };
    return poll(&ready, 1, 0) == 0;
}
