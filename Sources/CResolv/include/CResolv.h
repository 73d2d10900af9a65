#ifndef CRESOLV_H
#define CRESOLV_H

// One DNS question through the C library's resolver (libresolv), and the records of its
// response read with ns_initparse/ns_parserr/dn_expand. Swift cannot reach `struct __res_state`'s
// name server list (an anonymous union in glibc) nor the ns_* macros; the Swift side
// (DNSResolver) decides what to ask and what the answer means.

#include <stdint.h>

/// Where a question goes and how long to wait for it.
typedef struct {
    /// An IPv4 or IPv6 address literal; NULL for the system's name servers (/etc/resolv.conf).
    const char *server;
    /// The server's port (53 usually); read only with `server`.
    int port;
    /// Seconds to wait for each attempt; 0 keeps the system's (resolv.conf's `options timeout:`).
    int timeout_seconds;
    /// Attempts per server; 0 keeps the system's (`options attempts:`).
    int attempts;
} cresolv_config;

/// Sends one question of class IN and `type` (1 A, 12 PTR, 15 MX, 28 AAAA) for `name`, and waits
/// for the response, within the config's timeouts and attempts.
///
/// Returns the length of the response in `answer`, whatever its RCODE (NXDOMAIN and SERVFAIL
/// are responses too: read them with `cresolv_parse_header`), or -1 with `*error_number` set:
/// ETIMEDOUT (no response), ECONNREFUSED (the server's port is closed), EINVAL (a bad server
/// address, or a name DNS cannot carry), ENOMEM, or what the socket calls said.
int cresolv_query(const cresolv_config *config, const char *name, int type, unsigned char *answer,
                  int answer_size, int *error_number);

/// A response's header (RFC 1035 §4.1.1).
typedef struct {
    int rcode;
    int answer_count;
    int is_truncated;
    int is_authoritative;
} cresolv_header;

/// One record of the answer section, with the data ehlo reads decoded.
typedef struct {
    /// The owner name, without the final dot (NS_MAXDNAME bytes).
    char name[1025];
    uint16_t type;
    uint16_t rr_class;
    uint32_t ttl;
    /// MX: the preference.
    uint16_t preference;
    /// MX: the exchange; PTR and CNAME: the name pointed to. "." for the root.
    char target[1025];
    /// A: 4 octets; AAAA: 16.
    uint8_t address[16];
    int address_length;
} cresolv_record;

/// Reads a response's header. Returns 0, or -1 when `message` is no DNS message.
int cresolv_parse_header(const unsigned char *message, int length, cresolv_header *header);

/// Reads the answer section's record at `index` (0 ..< answer_count). Returns 0, or -1 when the
/// message is malformed there (a name that points outside it, data of the wrong length).
int cresolv_parse_answer(const unsigned char *message, int length, int index, cresolv_record *record);

#endif
