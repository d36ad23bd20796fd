package dev.patchbay.mariadb;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;

/**
 * Every MariaDbCommandTest again with the sessions on {@code transport=io_uring}: prepared statements,
 * multi-results, LOAD DATA LOCAL, large packets, change user, KILL and Statement.cancel(), with Connector/J.
 */
class MariaDbCommandOverIoUringTest extends MariaDbCommandTest {
    @BeforeAll
    static void setUp() throws Exception {
        start("transport=io_uring\n");
        assertThat(proxy.transport().name()).isEqualTo("io_uring");
    }
}
