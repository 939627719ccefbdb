#include <pcap/pcap.h>
#include <stdio.h>

/* C's standard input stream, which pcap_open_offline("-") reads. A function rather than the
   `stdin` variable, which Swift's strict concurrency checking will not let code read. */
static inline FILE *phxtap_stdin(void) { return stdin; }
