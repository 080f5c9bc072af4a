/* Tests of the UDP sockets on loopback: plain and NAT-T paths, the local
 * address reported with each datagram, replies from the right socket, and
 * what is dropped on the NAT-T port. */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "net/udp.h"

struct got {
	int count;
	struct ip_endpoint local, remote;
	uint8_t msg[256];
	size_t len;
};

static void on_recv(void *ctx, const struct ip_endpoint *local, const struct ip_endpoint *remote,
		    const uint8_t *msg, size_t len)
{
	struct got *g = ctx;

	g->count++;
	g->local = *local;
	g->remote = *remote;
	g->len = len < sizeof(g->msg) ? len : sizeof(g->msg);
	memcpy(g->msg, msg, g->len);
}

struct fx {
	struct event_base *base;
	struct udp_net *u;
	struct got got;
	struct ip_addr lo;
	uint16_t port, port_nat_t;
	int client; /* a plain UDP socket on 127.0.0.1 */
	struct ip_endpoint client_ep;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct udp_config cfg = {0};
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);
	int err = -EADDRINUSE;

	assert_non_null(f);
	f->base = event_base_new();
	assert_int_equal(ip_addr_parse("127.0.0.1", &f->lo), 0);
	cfg.listen = &f->lo;
	cfg.nlisten = 1;
	/* fixed high ports, moved on when another test holds them */
	for (int i = 0; i < 50 && !f->u && err == -EADDRINUSE; i++) {
		f->port = (uint16_t)(20000 + ((getpid() + i * 7919) % 20000) * 2);
		f->port_nat_t = f->port + 1;
		cfg.port = f->port;
		cfg.port_nat_t = f->port_nat_t;
		f->u = udp_open(f->base, &cfg, on_recv, &f->got, &err);
	}
	assert_non_null(f->u);
	f->client = socket(AF_INET, SOCK_DGRAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(f->client, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(f->client, (struct sockaddr *)&sin, &sl), 0);
	assert_int_equal(ip_endpoint_from_sockaddr(&f->client_ep, (struct sockaddr *)&sin, sl), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	udp_close(f->u);
	event_base_free(f->base);
	close(f->client);
	free(f);
	return 0;
}

/* Run the loop for ms milliseconds or until a datagram was handed on. */
static void pump(struct fx *f, int ms)
{
	int before = f->got.count;

	for (int i = 0; i < ms / 10 && f->got.count == before; i++) {
		struct timeval tv = {0, 10000};

		event_base_loopexit(f->base, &tv);
		event_base_dispatch(f->base);
	}
}

static void client_send(struct fx *f, uint16_t port, const void *p, size_t n)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(sendto(f->client, p, n, 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)n);
}

/* What the client receives within a second; -1 when nothing came. */
static ssize_t client_recv(struct fx *f, uint8_t *buf, size_t cap, uint16_t *from_port)
{
	struct pollfd pfd = {.fd = f->client, .events = POLLIN};
	struct sockaddr_in from;
	socklen_t sl = sizeof(from);
	ssize_t n;

	if (poll(&pfd, 1, 1000) != 1)
		return -1;
	n = recvfrom(f->client, buf, cap, 0, (struct sockaddr *)&from, &sl);
	*from_port = ntohs(from.sin_port);
	return n;
}

static const uint8_t ike_msg[] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0,	0,
				  0,	0,    0,    0,	  0,	0,    0x21, 0x20, 0x22, 0x08};

static void plain_port_round_trip(void **state)
{
	struct fx *f = *state;
	struct udp_stats st;
	char buf[IP_ENDPOINT_STRLEN];
	uint8_t rx[256];
	uint16_t from;

	client_send(f, f->port, ike_msg, sizeof(ike_msg));
	pump(f, 1000);
	assert_int_equal(f->got.count, 1);
	th_assert_bytes(f->got.msg, f->got.len, ike_msg, sizeof(ike_msg), "datagram");
	/* the local endpoint is the address and port the datagram came to */
	ip_endpoint_fmt(&f->got.local, buf, sizeof(buf));
	assert_true(ip_addr_eq(&f->got.local.addr, &f->lo));
	assert_int_equal(f->got.local.port, f->port);
	assert_true(ip_endpoint_eq(&f->got.remote, &f->client_ep));

	/* a reply from the same local endpoint goes out without a marker */
	assert_int_equal(udp_send(f->u, &f->got.local, &f->got.remote, ike_msg, sizeof(ike_msg)),
			 0);
	assert_int_equal(client_recv(f, rx, sizeof(rx), &from), (ssize_t)sizeof(ike_msg));
	assert_int_equal(from, f->port);
	th_assert_bytes(rx, sizeof(ike_msg), ike_msg, sizeof(ike_msg), "reply");
	udp_get_stats(f->u, &st);
	assert_int_equal(st.rx, 1);
	assert_int_equal(st.tx, 1);
}

static void nat_t_port_strips_and_adds_marker(void **state)
{
	struct fx *f = *state;
	uint8_t wire[4 + sizeof(ike_msg)] = {0, 0, 0, 0};
	uint8_t rx[256];
	uint16_t from;
	struct net_ops ops;

	memcpy(wire + 4, ike_msg, sizeof(ike_msg));
	client_send(f, f->port_nat_t, wire, sizeof(wire));
	pump(f, 1000);
	assert_int_equal(f->got.count, 1);
	th_assert_bytes(f->got.msg, f->got.len, ike_msg, sizeof(ike_msg), "marker stripped");
	assert_int_equal(f->got.local.port, f->port_nat_t);

	/* sent through net_ops from the NAT-T port: the marker comes first */
	udp_net_ops(f->u, &ops);
	assert_int_equal(ops.send(ops.ctx, &f->got.local, &f->got.remote, ike_msg, sizeof(ike_msg)),
			 0);
	assert_int_equal(client_recv(f, rx, sizeof(rx), &from), (ssize_t)sizeof(wire));
	assert_int_equal(from, f->port_nat_t);
	th_assert_bytes(rx, sizeof(wire), wire, sizeof(wire), "reply with marker");
}

static void nat_t_port_drops_keepalive_and_non_ike(void **state)
{
	struct fx *f = *state;
	static const uint8_t keepalive[1] = {0xff};
	static const uint8_t short_junk[5] = {1, 2, 3, 4, 5};
	static const uint8_t marker_only_prefix[3] = {0, 0, 0};
	struct udp_stats st;

	client_send(f, f->port_nat_t, keepalive, sizeof(keepalive));
	pump(f, 100);
	client_send(f, f->port_nat_t, short_junk, sizeof(short_junk));
	pump(f, 100);
	client_send(f, f->port_nat_t, marker_only_prefix, sizeof(marker_only_prefix));
	pump(f, 100);
	/* none of them reaches the engine */
	assert_int_equal(f->got.count, 0);
	udp_get_stats(f->u, &st);
	/* the kernel may eat the keepalive itself (UDP_ENCAP); if it did not, we did */
	assert_true(st.rx_keepalive <= 1);
	assert_int_equal(st.rx_not_ike, 2);
	assert_int_equal(st.rx, 0);

	/* the same bytes on the plain port are handed on: there is no marker there */
	client_send(f, f->port, short_junk, sizeof(short_junk));
	pump(f, 1000);
	assert_int_equal(f->got.count, 1);
	assert_int_equal(f->got.len, sizeof(short_junk));
}

static void send_without_socket(void **state)
{
	struct fx *f = *state;
	struct ip_endpoint local = {.addr = f->lo, .port = 1};
	struct ip_endpoint v6 = {.port = f->port};
	struct udp_stats st;

	assert_int_equal(udp_send(f->u, &local, &f->client_ep, ike_msg, sizeof(ike_msg)),
			 -EADDRNOTAVAIL);
	/* no IPv6 socket was opened for a 127.0.0.1-only config */
	assert_int_equal(ip_addr_parse("::1", &v6.addr), 0);
	assert_int_equal(udp_send(f->u, &v6, &f->client_ep, ike_msg, sizeof(ike_msg)),
			 -EADDRNOTAVAIL);
	udp_get_stats(f->u, &st);
	assert_int_equal(st.tx_errors, 2);
}

static void port_in_use_fails_cleanly(void **state)
{
	struct fx *f = *state;
	struct udp_config cfg = {.listen = &f->lo, .nlisten = 1, .port = f->port};
	struct got g = {0};
	int err = 0;

	logcap_start();
	assert_null(udp_open(f->base, &cfg, on_recv, &g, &err));
	logcap_stop();
	assert_int_equal(err, -EADDRINUSE);
	/* one line naming the endpoint that failed */
	assert_true(logcap_contains("cannot listen on UDP 127.0.0.1:"));
}

static void wildcard_reports_local_address(void **state)
{
	struct fx *f = *state;
	struct udp_config cfg = {0};
	struct udp_net *u = NULL;
	struct got g = {0};
	uint8_t rx[64];
	uint16_t from;
	int err = -EADDRINUSE;

	for (int i = 0; i < 50 && !u && err == -EADDRINUSE; i++) {
		cfg.port = (uint16_t)(f->port + 2 + 2 * i);
		u = udp_open(f->base, &cfg, on_recv, &g, &err);
	}
	assert_non_null(u);
	client_send(f, cfg.port, ike_msg, sizeof(ike_msg));
	for (int i = 0; i < 100 && g.count == 0; i++) {
		struct timeval tv = {0, 10000};

		event_base_loopexit(f->base, &tv);
		event_base_dispatch(f->base);
	}
	assert_int_equal(g.count, 1);
	/* bound to 0.0.0.0, yet the datagram's own destination is reported */
	assert_true(ip_addr_eq(&g.local.addr, &f->lo));
	assert_int_equal(g.local.port, cfg.port);
	/* and the reply leaves from it */
	assert_int_equal(udp_send(u, &g.local, &g.remote, ike_msg, 8), 0);
	assert_int_equal(client_recv(f, rx, sizeof(rx), &from), 8);
	assert_int_equal(from, cfg.port);
	udp_close(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(plain_port_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(nat_t_port_strips_and_adds_marker, setup, teardown),
		cmocka_unit_test_setup_teardown(nat_t_port_drops_keepalive_and_non_ike, setup,
						teardown),
		cmocka_unit_test_setup_teardown(send_without_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(port_in_use_fails_cleanly, setup, teardown),
		cmocka_unit_test_setup_teardown(wildcard_reports_local_address, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
