package dev.elfz.container;

import dev.elfz.ElfzException;
import dev.elfz.gguf.GgufFile;
import dev.elfz.io.MappedOutput;
import dev.elfz.onnx.OnnxFile;
import dev.elfz.safetensors.TensorInfo;
import dev.elfz.torch.TorchFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The output of a PyTorch checkpoint or a GGUF file: once decoded, it is parsed again and must hold exactly the
 * tensors of the index; a checkpoint decoded lossily gets its storages' zip CRC-32s written anew, so that torch.load
 * accepts the values it now holds.
 */
final class Reparsed {

    private Reparsed() {}

    static Decompressor.Output output(
            Archive r, Index.FileEntry f, Path target, MappedOutput m, List<TensorInfo> infos) {
        boolean torch = Index.KIND_TORCH.equals(f.kind());
        boolean lossy = f.tensors().stream().anyMatch(t -> t.data().crc32c() == null);
        return new Decompressor.Output() {
            @Override
            public List<OnnxFile.External> check() throws IOException {
                List<TensorInfo> parsed;
                try {
                    parsed = torch ? TorchFile.parse(target, m.segment()) : GgufFile.parse(target, m.segment());
                    if (torch && lossy) {
                        TorchFile.updateCrcs(target, m.segment());
                    }
                } catch (IOException e) {
                    throw new ElfzException(
                            r.path(), "damaged: " + f.path() + "'s stored skeleton: " + e.getMessage(), e);
                }
                if (!parsed.equals(infos)) {
                    throw new ElfzException(
                            r.path(), "damaged: " + f.path() + "'s skeleton holds other tensors than the index");
                }
                return List.of();
            }

            @Override
            public void commit() throws IOException {
                m.commit();
            }

            @Override
            public void close() throws IOException {
                m.close();
            }
        };
    }
}
