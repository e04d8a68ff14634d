// A minimal PNG reader for tests (8-bit RGB/RGBA, not interlaced) with its own inflate, enough
// to look at a browser screenshot without an image library.
#ifndef ROOFPROF_TESTS_SRC_REPORT_PNG_DECODE_H_
#define ROOFPROF_TESTS_SRC_REPORT_PNG_DECODE_H_

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace roofprof {
namespace testing_report {

// RFC 1951 inflate of a raw DEFLATE stream.
class Inflater {
 public:
  Inflater(const uint8_t* data, size_t size) : d_(data), n_(size) {}

  bool Run(std::vector<uint8_t>* out) {
    out_ = out;
    for (;;) {
      const int final = Bits(1);
      const int type = Bits(2);
      if (bad_) return false;
      if (type == 0) {
        if (!Stored()) return false;
      } else if (type == 1) {
        Huffman lit, dist;
        std::vector<uint8_t> len(288);
        for (int i = 0; i < 288; ++i)
          len[static_cast<size_t>(i)] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
        Build(&lit, len);
        Build(&dist, std::vector<uint8_t>(30, 5));
        if (!Block(lit, dist)) return false;
      } else if (type == 2) {
        Huffman lit, dist;
        if (!Dynamic(&lit, &dist) || !Block(lit, dist)) return false;
      } else {
        return false;
      }
      if (final) return !bad_;
    }
  }

 private:
  struct Huffman {
    std::vector<uint16_t> count = std::vector<uint16_t>(16, 0);
    std::vector<uint16_t> symbol;
  };

  int Bits(int k) {
    int v = 0;
    for (int b = 0; b < k; ++b) {
      if (pos_ >= n_) {
        bad_ = true;
        return 0;
      }
      v |= ((d_[pos_] >> bit_) & 1) << b;
      if (++bit_ == 8) {
        bit_ = 0;
        ++pos_;
      }
    }
    return v;
  }

  static void Build(Huffman* h, const std::vector<uint8_t>& lengths) {
    h->count.assign(16, 0);
    for (const uint8_t l : lengths) ++h->count[l];
    h->count[0] = 0;
    std::vector<uint16_t> offs(16, 0);
    for (int i = 1; i < 16; ++i)
      offs[static_cast<size_t>(i)] =
          offs[static_cast<size_t>(i) - 1] + h->count[static_cast<size_t>(i) - 1];
    h->symbol.assign(lengths.size(), 0);
    for (size_t s = 0; s < lengths.size(); ++s) {
      if (lengths[s] != 0) h->symbol[offs[lengths[s]]++] = static_cast<uint16_t>(s);
    }
  }

  int Decode(const Huffman& h) {
    int code = 0, first = 0, index = 0;
    for (int len = 1; len < 16; ++len) {
      code |= Bits(1);
      if (bad_) return -1;
      const int count = h.count[static_cast<size_t>(len)];
      if (code - count < first) return h.symbol[static_cast<size_t>(index + (code - first))];
      index += count;
      first += count;
      first <<= 1;
      code <<= 1;
    }
    return -1;
  }

  bool Stored() {
    if (bit_ != 0) {
      bit_ = 0;
      ++pos_;
    }
    if (pos_ + 4 > n_) return false;
    const size_t len = d_[pos_] | (d_[pos_ + 1] << 8);
    const size_t nlen = d_[pos_ + 2] | (d_[pos_ + 3] << 8);
    if ((len ^ 0xFFFF) != nlen) return false;
    pos_ += 4;
    if (pos_ + len > n_) return false;
    out_->insert(out_->end(), d_ + pos_, d_ + pos_ + len);
    pos_ += len;
    return true;
  }

  bool Dynamic(Huffman* lit, Huffman* dist) {
    static const int kOrder[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                   11, 4,  12, 3, 13, 2, 14, 1, 15};
    const int hlit = Bits(5) + 257, hdist = Bits(5) + 1, hclen = Bits(4) + 4;
    std::vector<uint8_t> cl(19, 0);
    for (int i = 0; i < hclen; ++i)
      cl[static_cast<size_t>(kOrder[i])] = static_cast<uint8_t>(Bits(3));
    Huffman clh;
    Build(&clh, cl);
    std::vector<uint8_t> lengths;
    while (static_cast<int>(lengths.size()) < hlit + hdist) {
      const int sym = Decode(clh);
      if (sym < 0) return false;
      if (sym < 16) {
        lengths.push_back(static_cast<uint8_t>(sym));
      } else {
        uint8_t v = 0;
        int rep = 0;
        if (sym == 16) {
          if (lengths.empty()) return false;
          v = lengths.back();
          rep = 3 + Bits(2);
        } else if (sym == 17) {
          rep = 3 + Bits(3);
        } else {
          rep = 11 + Bits(7);
        }
        lengths.insert(lengths.end(), static_cast<size_t>(rep), v);
      }
    }
    if (static_cast<int>(lengths.size()) != hlit + hdist || bad_) return false;
    Build(lit, std::vector<uint8_t>(lengths.begin(), lengths.begin() + hlit));
    Build(dist, std::vector<uint8_t>(lengths.begin() + hlit, lengths.end()));
    return true;
  }

  bool Block(const Huffman& lit, const Huffman& dist) {
    static const int kLenBase[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                     15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                     67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const int kLenExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static const int kDistBase[30] = {
        1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
        193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
    static const int kDistExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    for (;;) {
      const int sym = Decode(lit);
      if (sym < 0) return false;
      if (sym < 256) {
        out_->push_back(static_cast<uint8_t>(sym));
      } else if (sym == 256) {
        return true;
      } else {
        const int li = sym - 257;
        if (li >= 29) return false;
        const int len = kLenBase[li] + Bits(kLenExtra[li]);
        const int di = Decode(dist);
        if (di < 0 || di >= 30) return false;
        const size_t back = static_cast<size_t>(kDistBase[di] + Bits(kDistExtra[di]));
        if (bad_ || back > out_->size()) return false;
        for (int k = 0; k < len; ++k) out_->push_back((*out_)[out_->size() - back]);
      }
    }
  }

  const uint8_t* d_;
  size_t n_;
  size_t pos_ = 0;
  int bit_ = 0;
  bool bad_ = false;
  std::vector<uint8_t>* out_ = nullptr;
};

struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // 3 bytes per pixel, alpha dropped
};

// Decodes `png`; returns false with `error` set for anything unsupported or broken.
inline bool DecodePng(const std::string& png, Image* img, std::string* error) {
  const auto u32 = [&](size_t at) {
    return (static_cast<uint32_t>(static_cast<uint8_t>(png[at])) << 24) |
           (static_cast<uint32_t>(static_cast<uint8_t>(png[at + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<uint8_t>(png[at + 2])) << 8) |
           static_cast<uint32_t>(static_cast<uint8_t>(png[at + 3]));
  };
  if (png.size() < 8 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) {
    *error = "not a PNG";
    return false;
  }
  size_t at = 8;
  int depth = 0, ctype = -1, interlace = 0;
  std::vector<uint8_t> idat;
  while (at + 12 <= png.size()) {
    const uint32_t len = u32(at);
    const std::string type = png.substr(at + 4, 4);
    if (at + 12 + len > png.size()) {
      *error = "truncated chunk " + type;
      return false;
    }
    const size_t data = at + 8;
    if (type == "IHDR") {
      img->width = static_cast<int>(u32(data));
      img->height = static_cast<int>(u32(data + 4));
      depth = static_cast<uint8_t>(png[data + 8]);
      ctype = static_cast<uint8_t>(png[data + 9]);
      interlace = static_cast<uint8_t>(png[data + 12]);
    } else if (type == "IDAT") {
      idat.insert(idat.end(), png.begin() + static_cast<long>(data),
                  png.begin() + static_cast<long>(data + len));
    } else if (type == "IEND") {
      break;
    }
    at += 12 + len;
  }
  if (depth != 8 || (ctype != 2 && ctype != 6) || interlace != 0) {
    *error = "unsupported PNG (depth " + std::to_string(depth) + ", colour type " +
             std::to_string(ctype) + ", interlace " + std::to_string(interlace) + ")";
    return false;
  }
  if (idat.size() < 6 || (idat[0] & 0x0F) != 8) {
    *error = "bad zlib stream";
    return false;
  }
  std::vector<uint8_t> raw;
  Inflater inf(idat.data() + 2, idat.size() - 2);
  if (!inf.Run(&raw)) {
    *error = "inflate failed";
    return false;
  }
  const size_t bpp = ctype == 6 ? 4 : 3;
  const size_t stride = static_cast<size_t>(img->width) * bpp;
  if (raw.size() < (stride + 1) * static_cast<size_t>(img->height)) {
    *error = "image data too short";
    return false;
  }
  std::vector<uint8_t> prev(stride, 0), cur(stride);
  img->rgb.resize(static_cast<size_t>(img->width) * static_cast<size_t>(img->height) * 3);
  for (int y = 0; y < img->height; ++y) {
    const uint8_t* line = &raw[static_cast<size_t>(y) * (stride + 1)];
    const int filter = line[0];
    for (size_t x = 0; x < stride; ++x) {
      const int a = x >= bpp ? cur[x - bpp] : 0;
      const int b = prev[x];
      const int c = x >= bpp ? prev[x - bpp] : 0;
      int pred = 0;
      switch (filter) {
        case 0:
          pred = 0;
          break;
        case 1:
          pred = a;
          break;
        case 2:
          pred = b;
          break;
        case 3:
          pred = (a + b) / 2;
          break;
        case 4: {
          const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
          pred = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c);
          break;
        }
        default:
          *error = "bad filter type";
          return false;
      }
      cur[x] = static_cast<uint8_t>(line[1 + x] + pred);
    }
    for (int x = 0; x < img->width; ++x) {
      for (int ch = 0; ch < 3; ++ch) {
        img->rgb[(static_cast<size_t>(y) * static_cast<size_t>(img->width) +
                  static_cast<size_t>(x)) *
                     3 +
                 static_cast<size_t>(ch)] =
            cur[static_cast<size_t>(x) * bpp + static_cast<size_t>(ch)];
      }
    }
    prev.swap(cur);
  }
  return true;
}

}  // namespace testing_report
}  // namespace roofprof

#endif  // ROOFPROF_TESTS_SRC_REPORT_PNG_DECODE_H_
