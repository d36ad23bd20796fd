package dev.patchbay.demo;

/** The built-in demo configuration, in the same INI an operator writes. */
public final class DemoConfig {
    public static final int ECHO_PORT = 4000;
    public static final int HTTP_PORT = 8080;
    public static final int CLI_PORT = 9999;
    public static final String CLI_SOCKET = "/tmp/patchbay-demo.sock";

    private DemoConfig() {}

    public static String ini(int echoPort, int http1Port, int http2Port) {
        return """
                # Patchbay demo: built-in backends on loopback, listeners in front of them.
                [patchbay]
                threads=2
                log_level=notice
                access_log=stdout
                admin_host=127.0.0.1
                admin_port=8989
                grace_period=5s

                [echo1]
                type=server
                address=127.0.0.1
                port=%d
                health_check=tcp
                health_check_interval=2s

                [web1]
                type=server
                address=127.0.0.1
                port=%d

                [web2]
                type=server
                address=127.0.0.1
                port=%d
                weight=2

                [echo]
                type=service
                router=leastconn
                servers=echo1
                client_timeout=10m

                [web]
                type=service
                router=roundrobin
                servers=web1,web2
                client_timeout=30s
                server_timeout=30s

                [echo-listener]
                type=listener
                service=echo
                address=127.0.0.1
                port=%d

                [web-listener]
                type=listener
                service=web
                address=127.0.0.1
                port=%d

                [cli-tcp]
                type=stats_socket
                address=127.0.0.1
                port=%d
                level=admin

                [cli-unix]
                type=stats_socket
                socket=%s
                mode=0600
                level=admin
                """.formatted(echoPort, http1Port, http2Port, ECHO_PORT, HTTP_PORT, CLI_PORT, CLI_SOCKET);
    }

    public static String whatToTry() {
        return """

                Patchbay demo is running. Try, from another terminal:
                  curl http://127.0.0.1:%2$d/                                    # HTTP through Patchbay (web1/web2, weights 1:2)
                  socat - TCP:127.0.0.1:%1$d                                     # type lines, they echo back (or: nc 127.0.0.1 %1$d)
                  echo "show sess" | socat stdio tcp4-connect:127.0.0.1:%3$d      # HAProxy-style runtime API
                  echo "show sess" | socat stdio unix-connect:%4$s
                  curl -u admin:mariadb http://127.0.0.1:8989/v1/sessions          # MaxScale-style REST API
                  curl -u admin:mariadb http://127.0.0.1:8989/metrics              # Prometheus metrics
                Stop with Ctrl-C (graceful: sessions get the grace period to finish).
                """.formatted(ECHO_PORT, HTTP_PORT, CLI_PORT, CLI_SOCKET);
    }
}
