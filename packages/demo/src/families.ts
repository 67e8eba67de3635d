/** The model families the demo offers: importing a family's entry registers its architectures. */
import '@zoo/resnet';
import '@zoo/efficientnet';
import '@zoo/vit';
