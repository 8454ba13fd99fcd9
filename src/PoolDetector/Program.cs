Console.WriteLine("pooldetector");
