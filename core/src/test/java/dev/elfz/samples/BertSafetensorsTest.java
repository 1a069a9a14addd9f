package dev.elfz.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.Dtype;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.TensorInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BERT-base converted with the project's own code reads back as valid safetensors with TF's checksums. */
class BertSafetensorsTest {

    @Test
    void bertBecomesAValidSafetensorsFile(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("bert.safetensors");
        var index = BertSafetensors.write(null, out, false);
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertEquals(204, f.tensors().size());
            assertEquals(
                    BertWeights.DATA_BYTES,
                    f.tensors().stream().mapToLong(TensorInfo::byteSize).sum());
            TensorInfo words = f.tensor("bert/embeddings/word_embeddings");
            assertArrayEquals(new long[] {30522, 768}, words.shape());
            assertTrue(f.tensors().stream().allMatch(t -> t.dtype() == Dtype.F32));
            assertTrue(f.metadata().get("source").startsWith(BertWeights.ARTIFACT));
            // the bundle's own CRC32C of every tensor's bytes: the values were copied to the right places
            for (int i = 0; i < index.size(); i++) {
                CRC32C crc = new CRC32C();
                crc.update(f.data(f.tensors().get(i)).asByteBuffer());
                assertEquals(
                        index.get(i).crc32c(),
                        (int) crc.getValue(),
                        f.tensors().get(i).name());
            }
        }
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left beside the output");
        }
    }
}
