"""The gpt2s training step in PyTorch: the baseline for bench:step on the GPU machine.

Same model and batch as bench/src/step/step-shapes.ts (GPT-2 family: vocab 8192, d_model 768,
12 layers, 12 heads, seq 512, batch 8, tied embeddings, tanh GELU) and the same step: forward,
masked-free cross-entropy over every token, backward, global-norm clipping at 1, AdamW (fused
when available). Modes: fp32 (TF32 off), tf32 (TF32 matmuls), bf16 (autocast, fp32 weights).
Warm-up steps are excluded; the median step time is reported. Last line per mode:
    mode=<name> tokens_per_s=<number> ms_per_step=<number>
Usage: python3 bench_step.py [--shape gpt2s|tiny] [--modes fp32,tf32,bf16] [--steps 20] [--warmup 5] [--matmul 4096]
"""
import argparse
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPES = {
    "tiny": dict(vocab=512, channels=128, layers=4, heads=4, seq=128, batch=8),
    "gpt2s": dict(vocab=8192, channels=768, layers=12, heads=12, seq=512, batch=8),
}


class Block(nn.Module):
    def __init__(self, channels, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(channels)
        self.c_attn = nn.Linear(channels, 3 * channels)
        self.c_proj = nn.Linear(channels, channels)
        self.ln_2 = nn.LayerNorm(channels)
        self.c_fc = nn.Linear(channels, 4 * channels)
        self.mlp_proj = nn.Linear(4 * channels, channels)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        shape = (B, T, self.heads, C // self.heads)
        q, k, v = (t.view(shape).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.c_proj(y.transpose(1, 2).reshape(B, T, C))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt2(nn.Module):
    def __init__(self, vocab, channels, layers, heads, seq):
        super().__init__()
        self.wte = nn.Embedding(vocab, channels)
        self.wpe = nn.Embedding(seq, channels)
        self.blocks = nn.ModuleList(Block(channels, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(channels)
        for name, parameter in self.named_parameters():
            if parameter.dim() >= 2:
                std = 0.02 / math.sqrt(2 * layers) if name.endswith(("c_proj.weight", "mlp_proj.weight")) else 0.02
                nn.init.normal_(parameter, std=std)

    def forward(self, ids):
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.wte(ids) + self.wpe(positions)
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.t()


def bench_mode(mode, shape, steps, warmup, device):
    torch.backends.cuda.matmul.allow_tf32 = mode == "tf32"
    torch.backends.cudnn.allow_tf32 = mode == "tf32"
    torch.manual_seed(0)
    model = Gpt2(shape["vocab"], shape["channels"], shape["layers"], shape["heads"], shape["seq"]).to(device)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}]
    try:
        optimizer = torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.999), fused=True)
    except (RuntimeError, TypeError):
        optimizer = torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.999))
    generator = torch.Generator().manual_seed(1)
    data = torch.randint(0, shape["vocab"], (shape["batch"], shape["seq"] + 1), generator=generator).to(device)
    ids, targets = data[:, :-1], data[:, 1:]
    times = []
    for index in range(warmup + steps):
        torch.cuda.synchronize()
        started = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=mode == "bf16"):
            logits = model(ids)
        loss = F.cross_entropy(logits.float().view(-1, shape["vocab"]), targets.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        loss_value = loss.item()
        torch.cuda.synchronize()
        elapsed = (time.perf_counter() - started) * 1000
        if index >= warmup:
            times.append(elapsed)
        print(f"  {mode} step {index + 1}{' (warm-up)' if index < warmup else ''}: {elapsed:.2f} ms, loss {loss_value:.4f}")
    ms = statistics.median(times)
    tokens = shape["batch"] * shape["seq"]
    print(f"mode={mode} tokens_per_s={tokens * 1000 / ms:.1f} ms_per_step={ms:.3f}", flush=True)
    del model, optimizer
    torch.cuda.empty_cache()


def bench_matmul(size, device):
    for dtype, name in ((torch.float32, "fp32"), (torch.float16, "f16")):
        for tf32 in ((False, True) if dtype == torch.float32 else (False,)):
            torch.backends.cuda.matmul.allow_tf32 = tf32
            a = torch.randn(size, size, device=device, dtype=dtype)
            b = torch.randn(size, size, device=device, dtype=dtype)
            for _ in range(3):
                a @ b
            torch.cuda.synchronize()
            runs = 20
            started = time.perf_counter()
            for _ in range(runs):
                a @ b
            torch.cuda.synchronize()
            ms = (time.perf_counter() - started) * 1000 / runs
            label = name + ("-tf32" if tf32 else "")
            print(f"matmul={label} size={size} ms={ms:.3f} tflops={2 * size ** 3 / ms / 1e9:.2f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="gpt2s", choices=sorted(SHAPES))
    parser.add_argument("--modes", default="fp32,tf32,bf16")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--matmul", type=int, default=0, help="also time an N×N×N matmul (fp32, TF32, f16)")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("bench_step.py needs a CUDA GPU (torch.cuda.is_available() is False)")
    device = torch.device("cuda")
    print(f"torch {torch.__version__} on {torch.cuda.get_device_name(0)}; shape {args.shape}: {SHAPES[args.shape]}")
    for mode in args.modes.split(","):
        bench_mode(mode, SHAPES[args.shape], args.steps, args.warmup, device)
    if args.matmul:
        bench_matmul(args.matmul, device)


if __name__ == "__main__":
    main()
