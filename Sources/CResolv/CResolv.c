#include "CResolv.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

// Replaces the name servers res_ninit read from /etc/resolv.conf by the one address given.
//
// glibc keeps IPv4 servers in nsaddr_list and IPv6 ones in separately allocated
// _u._ext.nsaddrs entries, with nsaddr_list[i].sin_family 0 (resolv/res_send.c, get_nsaddr);
// res_nclose frees those entries, so every one that res_ninit allocated is freed here first and
// ours is allocated the same way.
static int use_server(res_state state, const char *server, int port) {
    struct in_addr v4;
    struct in6_addr v6;
    int is_v4 = inet_pton(AF_INET, server, &v4) == 1;
    int is_v6 = !is_v4 && inet_pton(AF_INET6, server, &v6) == 1;
    if ((!is_v4 && !is_v6) || port < 1 || port > 65535) return EINVAL;
#if defined(__GLIBC__)
    for (int i = 0; i < MAXNS; i++) {
        free(state->_u._ext.nsaddrs[i]);
        state->_u._ext.nsaddrs[i] = NULL;
        state->_u._ext.nssocks[i] = -1;
    }
    state->_u._ext.nscount = 0;
#else
    if (is_v6) return EAFNOSUPPORT;
#endif
    memset(&state->nsaddr_list[0], 0, sizeof state->nsaddr_list[0]);
    if (is_v4) {
        state->nsaddr_list[0].sin_family = AF_INET;
        state->nsaddr_list[0].sin_addr = v4;
        state->nsaddr_list[0].sin_port = htons((uint16_t)port);
    }
#if defined(__GLIBC__)
    else {
        struct sockaddr_in6 *address = calloc(1, sizeof *address);
        if (address == NULL) return ENOMEM;
        address->sin6_family = AF_INET6;
        address->sin6_addr = v6;
        address->sin6_port = htons((uint16_t)port);
        state->_u._ext.nsaddrs[0] = address;
    }
#endif
    state->nscount = 1;
    return 0;
}

int cresolv_query(const cresolv_config *config, const char *name, int type, unsigned char *answer,
                  int answer_size, int *error_number) {
    struct __res_state state;
    memset(&state, 0, sizeof state);
    if (res_ninit(&state) != 0) {
        *error_number = errno != 0 ? errno : ENOMEM;
        res_nclose(&state);
        return -1;
    }
    if (config->server != NULL) {
        int failure = use_server(&state, config->server, config->port);
        if (failure != 0) {
            *error_number = failure;
            res_nclose(&state);
            return -1;
        }
    }
    if (config->timeout_seconds > 0) state.retrans = config->timeout_seconds;
    if (config->attempts > 0) state.retry = config->attempts;
    // The search list is never applied: the name is asked as given (no RES_DNSRCH with res_nsend).
    //
    // Why res_nsend, not res_nquery? res_nquery turns every response but NOERROR-with-records into
    // -1 and an h_errno, where SERVFAIL and silence both read TRY_AGAIN. And res_send itself drops
    // a SERVFAIL, NOTIMP or REFUSED response and tries the next server, ending in ETIMEDOUT as if
    // none had answered, unless pfcode is set ("don't retry if called from dig", res_send.c): set,
    // the first server's response comes back whatever its code, so ehlo can say which it was.
    state.pfcode = RES_PRF_REPLY;

    unsigned char query[NS_PACKETSZ];
    int query_length = res_nmkquery(&state, ns_o_query, name, ns_c_in, type, NULL, 0, NULL, query, sizeof query);
    if (query_length < 0) {
        *error_number = EINVAL;
        res_nclose(&state);
        return -1;
    }
    errno = 0;
    int length = res_nsend(&state, query, query_length, answer, answer_size);
    if (length < 0) {
        *error_number = errno != 0 ? errno : ETIMEDOUT;
    } else if (length > answer_size) {
        // A TCP response larger than the buffer: only its start was kept.
        length = answer_size;
    }
    res_nclose(&state);
    return length;
}

int cresolv_parse_header(const unsigned char *message, int length, cresolv_header *header) {
    ns_msg handle;
    if (ns_initparse(message, length, &handle) < 0) return -1;
    header->rcode = ns_msg_getflag(handle, ns_f_rcode);
    header->is_truncated = ns_msg_getflag(handle, ns_f_tc);
    header->is_authoritative = ns_msg_getflag(handle, ns_f_aa);
    header->answer_count = ns_msg_count(handle, ns_s_an);
    return 0;
}

static int expand(const ns_msg *handle, const unsigned char *at, char *out, int size) {
    return dn_expand(ns_msg_base(*handle), ns_msg_end(*handle), at, out, size) < 0 ? -1 : 0;
}

int cresolv_parse_answer(const unsigned char *message, int length, int index, cresolv_record *record) {
    ns_msg handle;
    ns_rr rr;
    memset(record, 0, sizeof *record);
    if (ns_initparse(message, length, &handle) < 0) return -1;
    if (ns_parserr(&handle, ns_s_an, index, &rr) < 0) return -1;
    strncpy(record->name, ns_rr_name(rr), sizeof record->name - 1);
    record->type = ns_rr_type(rr);
    record->rr_class = ns_rr_class(rr);
    record->ttl = ns_rr_ttl(rr);
    const unsigned char *data = ns_rr_rdata(rr);
    int data_length = ns_rr_rdlen(rr);
    switch (record->type) {
    case ns_t_a:
    case ns_t_aaaa:
        if (data_length != (record->type == ns_t_a ? 4 : 16)) return -1;
        memcpy(record->address, data, (size_t)data_length);
        record->address_length = data_length;
        return 0;
    case ns_t_mx:
        // RFC 1035 §3.3.9: a 16-bit preference, then the exchange's name.
        if (data_length < 3) return -1;
        record->preference = ns_get16(data);
        return expand(&handle, data + 2, record->target, sizeof record->target);
    case ns_t_ptr:
    case ns_t_cname:
        return expand(&handle, data, record->target, sizeof record->target);
    default:
        return 0;
    }
}
