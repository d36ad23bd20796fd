package dev.patchbay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ConfigLoader#load}: the file's path is the name in every message. */
class LoadFileTest {
    @TempDir
    Path dir;

    @Test
    void loadsAFile() throws Exception {
        Path f = dir.resolve("patchbay.cnf");
        Files.writeString(f, Cfg.VALID);
        PatchbayConfig c = ConfigLoader.load(f);
        assertThat(c.source()).isEqualTo(f.toString());
        assertThat(c.servers()).hasSize(2);
    }

    @Test
    void errorsNameThePath() throws Exception {
        Path f = dir.resolve("patchbay.cnf");
        Files.writeString(f, "[patchbay]\nthreads=lots\n");
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(f));
        assertThat(e.errors()).containsExactly(f + ":2: [patchbay] threads: 'lots' is not a whole number");
    }

    @Test
    void missingFile() {
        Path f = dir.resolve("nope.cnf");
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(f));
        assertThat(e.errors()).containsExactly(f + ": cannot read: no such file");
    }

    @Test
    void directory() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(dir));
        assertThat(e.errors()).containsExactly(dir + ": cannot read: a directory, expected a configuration file");
    }

    @Test
    void notUtf8() throws Exception {
        Path f = dir.resolve("latin1.cnf");
        Files.write(f, "[patchbay]\n# caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(f));
        assertThat(e.errors()).containsExactly(f + ":2: cannot read: not UTF-8 text (byte 6 of the line is 0xe9;"
                + " save the file as UTF-8)");
    }

    @Test
    void byteOrderMarkAndWindowsLineEndings() throws Exception {
        Path f = dir.resolve("windows.cnf");
        Files.writeString(f, "\uFEFF" + Cfg.VALID.replace("\n", "\r\n"));
        assertThat(ConfigLoader.load(f).listeners()).hasSize(1);
        Files.writeString(f, "\uFEFF[patchbay]\r\nthreads=x\r\n");
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(f));
        assertThat(e.errors()).containsExactly(f + ":2: [patchbay] threads: 'x' is not a whole number");
    }

    @Test
    void theConfigurationMustBeARegularFileOfSaneSize() throws Exception {
        Path big = dir.resolve("big.cnf");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(ConfigLoader.MAX_FILE_BYTES + 1); // sparse: nothing is written
        }
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(big));
        assertThat(e.errors()).containsExactly(big + ": cannot read: " + (ConfigLoader.MAX_FILE_BYTES + 1)
                + " bytes, more than a configuration file can be (16 MiB)");
        e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(Path.of("/dev/zero")));
        assertThat(e.errors()).containsExactly("/dev/zero: cannot read: not a regular file, expected a configuration file");
    }
}
