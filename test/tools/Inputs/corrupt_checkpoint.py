#!/usr/bin/env python3
"""Copies a test fixture checkpoint and applies one named corruption.

Used by the bad-input lit tests of test/tools: each corruption is made so that
exactly one check of the checkpoint reader or config loader fails, and every
other part of the copy stays valid (a safetensors file keeps its 8-byte
little-endian header length, a JSON header and the data section; only the
field under test changes).

    corrupt_checkpoint.py --fixture DIR --kind KIND --out DIR [--tensor NAME]

--out is replaced by the copy. --kind none rewrites every safetensors file
through the same reader and writer without changing anything; that copy must
load exactly like the fixture. Standard library only.
"""

import argparse
import json
import os
import shutil
import struct
import sys

INDEX_FILE = "model.safetensors.index.json"

# The tensor each safetensors corruption edits when --tensor is not given;
# all exist in every fixture of test/fixtures.
DEFAULT_TENSOR = {
    "out-of-range": "model.layers.0.self_attn.o_proj.weight",
    "reversed-offsets": "model.layers.0.self_attn.o_proj.weight",
    "overlap": "model.layers.0.self_attn.o_proj.weight",
    "dtype-i64": "model.layers.0.self_attn.o_proj.weight",
    "size-mismatch": "model.layers.0.self_attn.kv_b_proj.weight",
    "wrong-shape": "model.layers.0.self_attn.kv_b_proj.weight",
    "drop-tensor": "model.layers.0.self_attn.kv_a_layernorm.weight",
    "index-wrong-shard": "lm_head.weight",
}


def fail(message):
    sys.exit("corrupt_checkpoint.py: error: " + message)


# --- safetensors files --------------------------------------------------------


def read_safetensors(path):
    """(header dict in file order, data section bytes) of a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length].decode("utf-8"))
    return header, raw[8 + length:]


def write_safetensors(path, header, data):
    """Writes a well-formed file: length, JSON header (space-padded to a
    multiple of 8 like the reference writer), data."""
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(data)


def safetensors_files(out):
    return sorted(n for n in os.listdir(out) if n.endswith(".safetensors"))


def file_with_tensor(out, name):
    """The path of the safetensors file in `out` whose header has `name`."""
    for file_name in safetensors_files(out):
        path = os.path.join(out, file_name)
        header, _ = read_safetensors(path)
        if name in header:
            return path
    fail("no safetensors file in %s has tensor %r" % (out, name))


def tensors_by_offset(header):
    return sorted((k for k in header if k != "__metadata__"),
                  key=lambda k: header[k]["data_offsets"][0])


def edit_tensor(out, name, edit):
    """Applies edit(header, entry, data) -> data to tensor `name` and writes
    the file back."""
    path = file_with_tensor(out, name)
    header, data = read_safetensors(path)
    data = edit(header, header[name], data)
    write_safetensors(path, header, data)
    return path


def single_file(out):
    files = safetensors_files(out)
    if len(files) != 1:
        fail("kind needs a single-file checkpoint; %s has %d safetensors "
             "files" % (out, len(files)))
    return os.path.join(out, files[0])


# --- config.json ----------------------------------------------------------------


def config_path(out):
    return os.path.join(out, "config.json")


def edit_config(out, edit):
    with open(config_path(out)) as f:
        config = json.load(f)
    edit(config)
    with open(config_path(out), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


def set_field(name, value):
    def edit(config):
        if name not in config:
            fail("config.json has no field %r to change" % name)
        config[name] = value
    return edit


def drop_field(name):
    def edit(config):
        if name not in config:
            fail("config.json has no field %r to drop" % name)
        del config[name]
    return edit


# --- the corruptions ------------------------------------------------------------


def corrupt(out, kind, tensor):
    """Applies `kind` to the copy in `out`; returns a one-line description."""
    if kind == "none":
        # Every safetensors file goes through the reader and writer used by
        # the corruptions below, so this copy proves them harmless.
        for name in safetensors_files(out):
            path = os.path.join(out, name)
            write_safetensors(path, *read_safetensors(path))
        return "rewrote %d safetensors file(s) unchanged" % len(
            safetensors_files(out))

    # Whole files.
    if kind == "truncate":
        # A download cut short: the header is intact, the data section lacks
        # its last 100 bytes, so the last tensor's offsets run past it.
        path = single_file(out)
        size = os.path.getsize(path)
        with open(path, "r+b") as f:
            f.truncate(size - 100)
        return "cut %s from %d to %d bytes" % (path, size, size - 100)
    if kind == "truncate-preamble":
        path = single_file(out)
        with open(path, "r+b") as f:
            f.truncate(5)
        return "cut %s to 5 bytes" % path
    if kind == "header-past-end":
        # The length prefix says the header is longer than the whole file.
        path = single_file(out)
        size = os.path.getsize(path)
        with open(path, "r+b") as f:
            f.write(struct.pack("<Q", size))
        return "set the header length of %s to %d (the file size)" % (path,
                                                                     size)
    if kind == "header-too-long":
        path = single_file(out)
        with open(path, "r+b") as f:
            f.write(struct.pack("<Q", 1 << 40))
        return "set the header length of %s to 2^40" % path
    if kind == "no-weights":
        for name in safetensors_files(out) + [INDEX_FILE]:
            if os.path.exists(os.path.join(out, name)):
                os.remove(os.path.join(out, name))
        return "removed the safetensors files and index, kept config.json"
    if kind == "empty":
        for name in os.listdir(out):
            os.remove(os.path.join(out, name))
        return "removed every file"

    # One tensor's header entry.
    if kind == "out-of-range":
        # Same span, moved to just past the end of the data section.
        def edit(header, entry, data):
            first, last = entry["data_offsets"]
            entry["data_offsets"] = [len(data), len(data) + last - first]
            return data
        return "moved %s past the data section of %s" % (
            tensor, edit_tensor(out, tensor, edit))
    if kind == "reversed-offsets":
        def edit(header, entry, data):
            entry["data_offsets"].reverse()
            return data
        return "reversed the offsets of %s in %s" % (
            tensor, edit_tensor(out, tensor, edit))
    if kind == "overlap":
        # Same span, moved to start halfway into the tensor stored before it.
        def edit(header, entry, data):
            order = tensors_by_offset(header)
            position = order.index(tensor)
            if position == 0:
                fail("%s is the first tensor of its file" % tensor)
            before = header[order[position - 1]]["data_offsets"]
            first, last = entry["data_offsets"]
            start = (before[0] + before[1]) // 2
            entry["data_offsets"] = [start, start + last - first]
            return data
        return "moved %s into the tensor before it in %s" % (
            tensor, edit_tensor(out, tensor, edit))
    if kind == "dtype-i64":
        def edit(header, entry, data):
            entry["dtype"] = "I64"
            return data
        return "set the dtype of %s to I64 in %s" % (
            tensor, edit_tensor(out, tensor, edit))
    if kind == "size-mismatch":
        # One more column than the bytes between the offsets hold.
        def edit(header, entry, data):
            entry["shape"][-1] += 1
            return data
        return "added a column to the shape of %s in %s" % (
            tensor, edit_tensor(out, tensor, edit))
    if kind == "wrong-shape":
        # The dimensions reversed: the byte count still matches, the config
        # does not.
        def edit(header, entry, data):
            if len(set(entry["shape"])) < 2:
                fail("%s has shape %s; reversing it changes nothing" % (
                    tensor, entry["shape"]))
            entry["shape"].reverse()
            return data
        return "reversed the shape of %s in %s" % (
            tensor, edit_tensor(out, tensor, edit))
    if kind == "drop-tensor":
        # The header entry goes; its bytes stay as an unreferenced gap.
        def edit(header, entry, data):
            del header[tensor]
            return data
        path = edit_tensor(out, tensor, edit)
        index = os.path.join(out, INDEX_FILE)
        if os.path.exists(index):
            with open(index) as f:
                weight_map = json.load(f)
            del weight_map["weight_map"][tensor]
            with open(index, "w") as f:
                json.dump(weight_map, f, indent=2)
        return "dropped %s from %s" % (tensor, path)

    # Sharded checkpoints: the index.
    if kind in ("index-missing-shard", "index-wrong-shard"):
        index = os.path.join(out, INDEX_FILE)
        if not os.path.exists(index):
            fail("kind %s needs a sharded fixture (with %s)" % (kind,
                                                                INDEX_FILE))
        with open(index) as f:
            weight_map = json.load(f)
        shards = sorted(set(weight_map["weight_map"].values()))
        if kind == "index-missing-shard":
            os.remove(os.path.join(out, shards[-1]))
            return "removed shard %s" % shards[-1]
        # Send the tensor to a shard that does not hold it.
        here = weight_map["weight_map"][tensor]
        other = [s for s in shards if s != here][0]
        weight_map["weight_map"][tensor] = other
        with open(index, "w") as f:
            json.dump(weight_map, f, indent=2)
        return "index sends %s to %s instead of %s" % (tensor, other, here)

    # config.json.
    config_edits = {
        "config-drop-field": drop_field("kv_lora_rank"),
        "config-wrong-type": set_field("hidden_size", "64"),
        "config-topk-method": set_field("topk_method", "noaux_tc"),
        "small-max-positions": set_field("max_position_embeddings", 4),
    }
    if kind in config_edits:
        edit_config(out, config_edits[kind])
        return "edited %s (%s)" % (config_path(out), kind)
    if kind == "config-malformed":
        # A trailing comma before the closing brace.
        with open(config_path(out)) as f:
            text = f.read().rstrip()
        if not text.endswith("}"):
            fail("config.json does not end with '}'")
        with open(config_path(out), "w") as f:
            f.write(text[:-1].rstrip() + ",\n}\n")
        return "added a trailing comma to %s" % config_path(out)

    fail("unknown --kind %r" % kind)


KINDS = [
    "none", "truncate", "truncate-preamble", "header-past-end",
    "header-too-long", "no-weights", "empty", "out-of-range",
    "reversed-offsets", "overlap", "dtype-i64", "size-mismatch", "wrong-shape",
    "drop-tensor", "index-missing-shard", "index-wrong-shard",
    "config-drop-field", "config-wrong-type", "config-topk-method",
    "small-max-positions", "config-malformed",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixture", required=True,
                        help="checkpoint directory to copy")
    parser.add_argument("--kind", required=True, choices=KINDS)
    parser.add_argument("--out", required=True,
                        help="directory to write (replaced)")
    parser.add_argument("--tensor",
                        help="tensor a header corruption edits (default: one "
                        "per kind)")
    args = parser.parse_args()

    if not os.path.isfile(os.path.join(args.fixture, "config.json")):
        fail("%s is not a checkpoint directory (no config.json)" %
             args.fixture)
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    # Only the checkpoint's files: config, safetensors, index.
    for name in sorted(os.listdir(args.fixture)):
        if name == "config.json" or name == INDEX_FILE or \
                name.endswith(".safetensors"):
            shutil.copyfile(os.path.join(args.fixture, name),
                            os.path.join(args.out, name))
    tensor = args.tensor or DEFAULT_TENSOR.get(args.kind)
    print("corrupt_checkpoint.py: %s: %s" % (args.kind,
                                              corrupt(args.out, args.kind,
                                                      tensor)))


if __name__ == "__main__":
    main()
